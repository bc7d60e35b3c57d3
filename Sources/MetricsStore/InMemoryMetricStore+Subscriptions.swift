import MetricsCore

extension InMemoryMetricStore: SubscriptionStore {
    /// Subscriptions with their outbox: one lock, as one database transaction would be.
    struct SubscriptionTable {
        var rows: [Int64: (subscription: Subscription, secret: String)] = [:]
        var lastID: Int64 = 0
        var events: [Int64: StoredEvent] = [:]
        var lastEventID: Int64 = 0
        var attempts: [RecordedAttempt] = []
    }

    /// An outbox row: the event, and what only the dispatchers read.
    struct StoredEvent {
        var event: AlertEvent
        /// Set at the first claim.
        var retryUntil: Timestamp?
        var leaseHolder: String?
        var leaseUntil: Timestamp?
    }

    public func createSubscription(_ draft: SubscriptionDraft, at time: Timestamp) async throws -> Subscription {
        subscriptionTable.withLock { table in
            table.lastID += 1
            let subscription = Subscription(
                id: table.lastID, owner: draft.owner, metricID: draft.metricID, rule: draft.rule, webhookURL: draft.webhookURL,
                paused: false, state: AlertState(), createdAt: time, updatedAt: time)
            table.rows[subscription.id] = (subscription, draft.secret)
            return subscription
        }
    }

    public func subscriptions(of owner: Int64, after: Int64?, limit: Int) async throws -> [Subscription] {
        subscriptionTable.withLock { table in
            Array(
                table.rows.values.map(\.subscription).filter { $0.owner == owner && $0.id > (after ?? 0) }.sorted { $0.id < $1.id }
                    .prefix(limit))
        }
    }

    public func subscription(_ id: Int64, of owner: Int64) async throws -> Subscription? {
        subscriptionTable.withLock { table in table.rows[id].map(\.subscription).flatMap { $0.owner == owner ? $0 : nil } }
    }

    public func updateSubscription(_ id: Int64, of owner: Int64, _ change: SubscriptionChange, at time: Timestamp) async throws
        -> Subscription?
    {
        subscriptionTable.withLock { table in
            guard let (old, _) = table.rows[id], old.owner == owner else { return nil }
            return table.update(id) { old in
                Subscription(
                    id: old.id, owner: old.owner, metricID: old.metricID, rule: change.rule ?? old.rule, webhookURL: old.webhookURL,
                    paused: change.paused ?? old.paused, state: change.rule == nil ? old.state : old.state.restarted(),
                    createdAt: old.createdAt, updatedAt: time, revision: old.revision + 1, judgedThrough: old.judgedThrough)
            }
        }
    }

    public func deleteSubscription(_ id: Int64, of owner: Int64) async throws -> Bool {
        subscriptionTable.withLock { table in
            guard table.rows[id]?.subscription.owner == owner else { return false }
            table.rows[id] = nil
            let gone = Set(table.events.values.filter { $0.event.subscriptionID == id }.map(\.event.id))
            for event in gone { table.events[event] = nil }
            table.attempts.removeAll { gone.contains($0.attempt.eventID) }
            return true
        }
    }
}

extension InMemoryMetricStore.SubscriptionTable {
    /// Replaces a subscription by what `change` makes of it, keeping its secret.
    @discardableResult
    mutating func update(_ id: Int64, _ change: (Subscription) -> Subscription) -> Subscription? {
        guard let (old, secret) = rows[id] else { return nil }
        let updated = change(old)
        rows[id] = (updated, secret)
        return updated
    }
}
