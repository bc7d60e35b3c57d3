import MetricsCore

/// The durable queue between the detectors and the webhook dispatchers, kept in the database every
/// instance shares.
///
/// Detectors in several instances judge the same samples; they agree through the subscription's
/// stored state, which only moves by compare-and-set on its revision (``advance(_:)``), and events
/// are unique per subscription, episode and kind. Dispatchers claim due events with a lease, so an
/// event whose dispatcher died is claimed again once its lease runs out: at least once, and once
/// in normal operation. Each store implements it and passes the same conformance suite.
public protocol AlertOutbox: Sendable {
    /// Every subscription the detectors judge: not paused, its key not revoked.
    func watchedSubscriptions() async throws -> [Subscription]

    /// Moves each subscription's state and records the events each move caused, all in one
    /// transaction (a cycle that fires thousands of subscriptions is one commit), each only if
    /// its subscription's revision is still the `expectedRevision`. A move that is not applied
    /// changes nothing; its answer is the subscription as stored (`nil` when it is gone, paused,
    /// or its key revoked). Answers in the order asked.
    func advance(_ advances: [AlertAdvance]) async throws -> [AlertAdvanceResult]

    /// Leases up to `limit` events that are due at `now` to `holder` until `leaseUntil`: for each
    /// subscription, only its oldest undelivered event, and only when no dispatcher holds it, so
    /// that a subscription's events go out one at a time and in order. An event's day of retries
    /// starts at its first claim, not when it was recorded: events queued behind a failing one
    /// get their own day.
    func claimEvents(limit: Int, holder: String, now: Timestamp, leaseUntil: Timestamp) async throws -> [ClaimedEvent]

    /// Records attempts, in one transaction: each one's outcome moves its event if `holder` still
    /// holds the lease (a lease that ran out may have passed to another dispatcher).
    func complete(_ attempts: [DeliveryAttempt], holder: String) async throws

    /// Lets go of a claimed event without an attempt to report (a dispatcher stopping), so that
    /// it may be claimed again at once rather than when the lease runs out.
    func release(event: Int64, holder: String) async throws

    /// Deletes the events settled (delivered, dead or suppressed) that were recorded before
    /// `cutoff`, with their attempts; returns how many events went. Pending events stay, however
    /// old.
    func pruneSettledEvents(before cutoff: Timestamp) async throws -> Int

    /// When the next pending event falls due, if any is pending; a dispatcher sleeps until then.
    func nextDueTime() async throws -> Timestamp?

    /// The owner's subscription's events with ids below `before`, newest first, at most `limit`;
    /// `nil` when the owner has no such subscription.
    func events(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [AlertEvent]?

    /// The delivery attempts of the owner's subscription's events with ids below `before`, newest
    /// first, at most `limit`; `nil` when the owner has no such subscription.
    func deliveryAttempts(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [RecordedAttempt]?

    /// Sends an event again: pending from `now`, its attempts counted afresh, with a fresh day of
    /// retries from its next claim. ``RedeliveryResult/inFlight`` while any event of the
    /// subscription is being delivered, so that its events still go out one at a time.
    func redeliver(event: Int64, of subscription: Int64, owner: Int64, at now: Timestamp) async throws -> RedeliveryResult

    /// The events recorded since `cursor`, oldest first, each with the key that owns its
    /// subscription: what the live stream shows their owners, from whichever instance recorded
    /// them. Each is returned once, whatever order the writers' transactions commit in. Without a
    /// cursor, none: only the position to follow from.
    func recordedEvents(after cursor: ChangeCursor?) async throws -> RecordedAlertEvents
}

/// Events new to a follower of the outbox, and where it is now.
public struct RecordedAlertEvents: Sendable {
    public struct Owned: Sendable {
        public let event: AlertEvent
        /// The key that owns the event's subscription.
        public let owner: Int64

        public init(event: AlertEvent, owner: Int64) {
            self.event = event
            self.owner = owner
        }
    }

    public let events: [Owned]
    public let cursor: ChangeCursor

    public init(events: [Owned], cursor: ChangeCursor) {
        self.events = events
        self.cursor = cursor
    }
}

extension AlertOutbox {
    /// Moves one subscription's state: ``advance(_:)-(_:[AlertAdvance])`` for one.
    public func advance(_ advance: AlertAdvance) async throws -> AlertAdvanceResult {
        try await self.advance([advance])[0]
    }
}

/// A detector's step for one subscription: the state after the samples it judged up to
/// `judgedThrough`, and the events the transitions on the way made.
public struct AlertAdvance: Sendable {
    public let subscriptionID: Int64
    public let expectedRevision: Int64
    public let state: AlertState
    public let judgedThrough: Timestamp
    public let events: [NewAlertEvent]
    public let at: Timestamp

    public init(
        subscriptionID: Int64, expectedRevision: Int64, state: AlertState, judgedThrough: Timestamp, events: [NewAlertEvent],
        at time: Timestamp
    ) {
        self.subscriptionID = subscriptionID
        self.expectedRevision = expectedRevision
        self.state = state
        self.judgedThrough = judgedThrough
        self.events = events
        self.at = time
    }
}

public enum AlertAdvanceResult: Sendable {
    /// Stored, with the subscription's new revision and the ids of the events recorded (an event
    /// already recorded for the same episode and kind is not recorded twice).
    case advanced(revision: Int64, events: [Int64])
    /// Another writer moved it first: the subscription as stored, `nil` when no longer watched.
    case conflict(Subscription?)
}

/// An event as the detector makes it: what happened, and the JSON `data` its webhook carries.
public struct NewAlertEvent: Sendable {
    public let kind: AlertTransition.Kind
    public let episode: Int
    /// `false` for a firing held back by the cooldown (and its resolution): recorded, not sent.
    public let isSent: Bool
    public let sampleTime: Timestamp
    /// The `data` object of the webhook's body, as JSON text.
    public let data: String

    public init(kind: AlertTransition.Kind, episode: Int, isSent: Bool, sampleTime: Timestamp, data: String) {
        self.kind = kind
        self.episode = episode
        self.isSent = isSent
        self.sampleTime = sampleTime
        self.data = data
    }
}

/// An event in the outbox.
public struct AlertEvent: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        /// Waiting for (another) attempt.
        case pending
        case delivered
        /// Retried for a day without success, or answered 410 Gone.
        case dead
        /// Within the cooldown of the last firing sent: recorded, not sent.
        case suppressed
    }

    public let id: Int64
    public let subscriptionID: Int64
    public let kind: AlertTransition.Kind
    public let episode: Int
    public let status: Status
    public let sampleTime: Timestamp
    public let createdAt: Timestamp
    public let data: String
    public let attempts: Int
    public let nextAttemptAt: Timestamp?
    public let deliveredAt: Timestamp?
    public let lastError: String?

    public init(
        id: Int64, subscriptionID: Int64, kind: AlertTransition.Kind, episode: Int, status: Status, sampleTime: Timestamp,
        createdAt: Timestamp, data: String, attempts: Int, nextAttemptAt: Timestamp?, deliveredAt: Timestamp?, lastError: String?
    ) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.kind = kind
        self.episode = episode
        self.status = status
        self.sampleTime = sampleTime
        self.createdAt = createdAt
        self.data = data
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.lastError = lastError
    }

    /// The `webhook-id` header: the same on every attempt, so that a receiver can drop repeats.
    public var webhookID: String { "evt_\(id)" }

    /// The webhook's body: `{"type", "timestamp", "data"}`, the same bytes on every attempt.
    public var body: String {
        #"{"type":"\#(kind.rawValue)","timestamp":"\#(createdAt.rfc3339)","data":\#(data)}"#
    }
}

/// An event leased to a dispatcher, with where it goes.
public struct ClaimedEvent: Sendable {
    public let event: AlertEvent
    public let webhookURL: String
    /// The subscription's `whsec_` secret.
    public let secret: String
    /// When retrying stops and the event is dead: a day after its first claim.
    public let retryUntil: Timestamp

    public init(event: AlertEvent, webhookURL: String, secret: String, retryUntil: Timestamp) {
        self.event = event
        self.webhookURL = webhookURL
        self.secret = secret
        self.retryUntil = retryUntil
    }
}

/// One attempt to deliver an event, as a dispatcher reports it.
public struct DeliveryAttempt: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        /// A 2xx answer.
        case delivered
        /// Failed; tried again at this time.
        case retry(at: Timestamp)
        /// Failed for the last time: the day of retries is over.
        case dead
        /// 410 Gone: the event is dead and the subscription paused.
        case gone
    }

    public let eventID: Int64
    public let attemptedAt: Timestamp
    public let latencyMicroseconds: Int64
    /// The receiver's HTTP status, when it answered.
    public let statusCode: Int?
    /// Why it failed, in words: a timeout, a refused connection, the answer's status.
    public let error: String?
    public let outcome: Outcome

    public init(eventID: Int64, attemptedAt: Timestamp, latencyMicroseconds: Int64, statusCode: Int?, error: String?, outcome: Outcome) {
        self.eventID = eventID
        self.attemptedAt = attemptedAt
        self.latencyMicroseconds = latencyMicroseconds
        self.statusCode = statusCode
        self.error = error
        self.outcome = outcome
    }
}

/// An attempt as the store keeps it, for `GET /subscriptions/{id}/deliveries`.
public struct RecordedAttempt: Hashable, Sendable {
    public let id: Int64
    public let attempt: DeliveryAttempt

    public init(id: Int64, attempt: DeliveryAttempt) {
        self.id = id
        self.attempt = attempt
    }
}

public enum RedeliveryResult: Hashable, Sendable {
    case scheduled(AlertEvent)
    /// The owner has no such subscription, or it has no such event.
    case notFound
    /// A dispatcher holds it, or another event of the subscription, right now.
    case inFlight
}

extension DeliveryAttempt.Outcome {
    /// The name the store keeps and the API shows.
    public var name: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .dead: "dead"
        case .gone: "gone"
        }
    }
}

/// How long the outbox keeps trying, and keeping, events.
public enum DeliveryRetention {
    /// How long a dispatcher keeps trying an event, from its first attempt, before it is dead.
    public static let retryWindowMicroseconds: Int64 = 24 * 3_600 * 1_000_000
    /// How long a settled event and its attempts stay visible (`/events`, `/deliveries`).
    public static let keptMicroseconds: Int64 = 30 * 24 * 3_600 * 1_000_000
}

extension AlertEvent {
    /// An event as a store reads it back; a row this version cannot read is a ``StoreError``.
    public init(
        stored id: Int64, subscriptionID: Int64, kind: String, episode: Int64, status: String, sampleMicroseconds: Int64,
        createdMicroseconds: Int64, data: String, attempts: Int, nextAttemptMicroseconds: Int64?, deliveredMicroseconds: Int64?,
        lastError: String?
    ) throws(StoreError) {
        guard let kind = AlertTransition.Kind(rawValue: kind), let status = Status(rawValue: status) else {
            throw StoreError.corruptRow(table: "alert_event", reason: "event \(id)'s kind \(kind) or status \(status)")
        }
        self.init(
            id: id, subscriptionID: subscriptionID, kind: kind, episode: Int(episode), status: status,
            sampleTime: Timestamp(microsecondsSince1970: sampleMicroseconds),
            createdAt: Timestamp(microsecondsSince1970: createdMicroseconds),
            data: data, attempts: attempts, nextAttemptAt: nextAttemptMicroseconds.map(Timestamp.init(microsecondsSince1970:)),
            deliveredAt: deliveredMicroseconds.map(Timestamp.init(microsecondsSince1970:)), lastError: lastError)
    }
}

extension DeliveryAttempt {
    /// An attempt as a store reads it back; a row this version cannot read is a ``StoreError``.
    public init(
        stored eventID: Int64, attemptedMicroseconds: Int64, latencyMicroseconds: Int64, statusCode: Int?, error: String?, outcome: String,
        nextAttemptMicroseconds: Int64?
    ) throws(StoreError) {
        let decoded: Outcome
        switch (outcome, nextAttemptMicroseconds) {
        case ("delivered", _): decoded = .delivered
        case ("retry", let next?): decoded = .retry(at: Timestamp(microsecondsSince1970: next))
        case ("dead", _): decoded = .dead
        case ("gone", _): decoded = .gone
        default: throw StoreError.corruptRow(table: "alert_delivery", reason: "an attempt at event \(eventID) with outcome \(outcome)")
        }
        self.init(
            eventID: eventID, attemptedAt: Timestamp(microsecondsSince1970: attemptedMicroseconds),
            latencyMicroseconds: latencyMicroseconds,
            statusCode: statusCode, error: error, outcome: decoded)
    }
}
