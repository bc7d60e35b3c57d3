import MetricsCore

/// One alert subscription: a rule on one metric, the webhook its notifications go to, and where it
/// stands. Owned by the API key that made it: no other key sees or changes it.
public struct Subscription: Hashable, Sendable {
    public let id: Int64
    /// The id of the API key that made it.
    public let owner: Int64
    public let metricID: Int64
    public let rule: AlertRule
    public let webhookURL: String
    public let paused: Bool
    public let state: AlertState
    public let createdAt: Timestamp
    public let updatedAt: Timestamp
    /// Counts every write: the detectors move the state only from the revision they read.
    public let revision: Int64
    /// The time of the last sample whose verdict moved the state.
    public let judgedThrough: Timestamp?

    public init(
        id: Int64, owner: Int64, metricID: Int64, rule: AlertRule, webhookURL: String, paused: Bool, state: AlertState,
        createdAt: Timestamp, updatedAt: Timestamp, revision: Int64 = 0, judgedThrough: Timestamp? = nil
    ) {
        self.id = id
        self.owner = owner
        self.metricID = metricID
        self.rule = rule
        self.webhookURL = webhookURL
        self.paused = paused
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revision = revision
        self.judgedThrough = judgedThrough
    }

    /// The same subscription in another state, as a detector's advance leaves it.
    public func advanced(to state: AlertState, judgedThrough: Timestamp, revision: Int64) -> Subscription {
        Subscription(
            id: id, owner: owner, metricID: metricID, rule: rule, webhookURL: webhookURL, paused: paused, state: state,
            createdAt: createdAt, updatedAt: updatedAt, revision: revision, judgedThrough: judgedThrough)
    }
}

/// What a subscription is made from; the store gives it an id, a fresh state and its times.
public struct SubscriptionDraft: Hashable, Sendable {
    public let owner: Int64
    public let metricID: Int64
    public let rule: AlertRule
    public let webhookURL: String
    /// The webhook signing secret (`whsec_…`), kept as it is: signing needs it.
    public let secret: String

    public init(owner: Int64, metricID: Int64, rule: AlertRule, webhookURL: String, secret: String) {
        self.owner = owner
        self.metricID = metricID
        self.rule = rule
        self.webhookURL = webhookURL
        self.secret = secret
    }
}

/// A change to a subscription: each field left `nil` stays as it is.
public struct SubscriptionChange: Hashable, Sendable {
    public var rule: AlertRule?
    public var paused: Bool?

    public init(rule: AlertRule? = nil, paused: Bool? = nil) {
        self.rule = rule
        self.paused = paused
    }
}

/// Where subscriptions are kept: the database every instance shares, so that any instance answers
/// for any subscription. Every lookup takes the owner: another key's subscription is not found,
/// as if it did not exist. Each store implements it and passes the same conformance suite.
public protocol SubscriptionStore: Sendable {
    func createSubscription(_ draft: SubscriptionDraft, at time: Timestamp) async throws -> Subscription

    /// The owner's subscriptions with ids above `after`, ascending, at most `limit`.
    func subscriptions(of owner: Int64, after: Int64?, limit: Int) async throws -> [Subscription]

    func subscription(_ id: Int64, of owner: Int64) async throws -> Subscription?

    /// Applies `change`; `nil` when the owner has no such subscription. A new rule starts the
    /// state afresh (`ok`), keeping the episode count so that events stay unique. Every change
    /// moves the revision, so that a detector's advance from before it fails and reads it.
    func updateSubscription(_ id: Int64, of owner: Int64, _ change: SubscriptionChange, at time: Timestamp) async throws -> Subscription?

    /// Deletes it; returns whether the owner had it.
    func deleteSubscription(_ id: Int64, of owner: Int64) async throws -> Bool
}

extension Subscription {
    /// A subscription as a store reads it back: its rule from the canonical JSON every store keeps,
    /// its state from its columns. A row this version cannot read is a ``StoreError``.
    public init(
        stored id: Int64, owner: Int64, metricID: Int64, ruleJSON: String, webhookURL: String, paused: Bool, status: String, streak: Int,
        episode: Int64, lastSentMicroseconds: Int64?, episodeSent: Bool, createdMicroseconds: Int64, updatedMicroseconds: Int64,
        revision: Int64, judgedMicroseconds: Int64?
    ) throws(StoreError) {
        let rule: AlertRule
        do {
            rule = try AlertRule(json: try JSONParser.parse(Array(ruleJSON.utf8)))
        } catch {
            throw StoreError.corruptRow(table: "subscription", reason: "subscription \(id)'s rule: \(error)")
        }
        guard let status = AlertState.Status(rawValue: status) else {
            throw StoreError.corruptRow(table: "subscription", reason: "subscription \(id)'s status \(status)")
        }
        self.init(
            id: id, owner: owner, metricID: metricID, rule: rule, webhookURL: webhookURL, paused: paused,
            state: AlertState(
                status: status, streak: streak, episode: Int(episode),
                lastSent: lastSentMicroseconds.map(Timestamp.init(microsecondsSince1970:)), episodeSent: episodeSent),
            createdAt: Timestamp(microsecondsSince1970: createdMicroseconds),
            updatedAt: Timestamp(microsecondsSince1970: updatedMicroseconds), revision: revision,
            judgedThrough: judgedMicroseconds.map(Timestamp.init(microsecondsSince1970:)))
    }
}

extension AlertState {
    /// The state after the rule changed: `ok`, no streak, the same episode count and last send.
    public func restarted() -> AlertState {
        AlertState(status: .ok, streak: 0, episode: episode, lastSent: lastSent, episodeSent: false)
    }
}
