/// Where one subscription stands, moved by each verdict on a new sample.
///
/// `ok` becomes `firing` after `forSamples` consecutive samples meet the condition, and `firing`
/// becomes `ok` only after `resolveSamples` consecutive samples miss it. Each firing starts a new
/// episode, numbered, so that the outbox can hold one event per episode. A firing within the
/// cooldown of the last one sent is held back: it is sent at the first sample after the cooldown
/// ends if the alert still fires then (a long incident that began in the cooldown is not missed),
/// and not at all if it resolved first, in which case its resolution is not sent either.
public struct AlertState: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable {
        case ok
        case firing
    }

    public private(set) var status: Status
    /// Consecutive samples that pointed away from `status`.
    public private(set) var streak: Int
    /// How many times the subscription has fired.
    public private(set) var episode: Int
    /// When a firing was last sent.
    public private(set) var lastSent: Timestamp?
    /// Whether the current episode's firing was sent.
    public private(set) var episodeSent: Bool

    public init(status: Status = .ok, streak: Int = 0, episode: Int = 0, lastSent: Timestamp? = nil, episodeSent: Bool = false) {
        self.status = status
        self.streak = streak
        self.episode = episode
        self.lastSent = lastSent
        self.episodeSent = episodeSent
    }

    /// Takes the verdict on a sample stamped `time`; returns the transition it caused, if any. A
    /// firing held back by the cooldown comes again, with its episode and `isSent`, when it is sent.
    public mutating func observe(holds: Bool, at time: Timestamp, rule: AlertRule) -> AlertTransition? {
        switch (status, holds) {
        case (.ok, false):
            streak = 0
            return nil
        case (.firing, true):
            streak = 0
            guard !episodeSent, isCooled(at: time, rule: rule) else { return nil }
            episodeSent = true
            lastSent = time
            return AlertTransition(kind: .firing, episode: episode, isSent: true)
        case (.ok, true):
            streak += 1
            guard streak >= rule.forSamples else { return nil }
            status = .firing
            streak = 0
            episode += 1
            episodeSent = isCooled(at: time, rule: rule)
            if episodeSent { lastSent = time }
            return AlertTransition(kind: .firing, episode: episode, isSent: episodeSent)
        case (.firing, false):
            streak += 1
            guard streak >= rule.resolveSamples else { return nil }
            status = .ok
            streak = 0
            return AlertTransition(kind: .resolved, episode: episode, isSent: episodeSent)
        }
    }

    /// Whether the cooldown since the last firing sent is over. A sample stamped before that one
    /// (a backfill) does not wait for a cooldown that started after it.
    private func isCooled(at time: Timestamp, rule: AlertRule) -> Bool {
        guard let lastSent, rule.cooldownSeconds > 0, time >= lastSent else { return true }
        return time.microsecondsSince1970 - lastSent.microsecondsSince1970 >= Int64(rule.cooldownSeconds) * 1_000_000
    }
}

/// A change of a subscription's status: the event the outbox records.
public struct AlertTransition: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case firing = "alert.firing"
        case resolved = "alert.resolved"
    }

    public let kind: Kind
    public let episode: Int
    /// Whether a webhook is sent for it (not within the cooldown of the last firing sent).
    public let isSent: Bool
}
