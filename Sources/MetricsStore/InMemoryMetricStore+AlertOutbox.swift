import MetricsCore

extension InMemoryMetricStore: AlertOutbox {
    public func watchedSubscriptions() async throws -> [Subscription] {
        let revoked = revokedKeys()
        return subscriptionTable.withLock { table in
            table.rows.values.map(\.subscription).filter { !$0.paused && !revoked.contains($0.owner) }.sorted { $0.id < $1.id }
        }
    }

    public func advance(_ advances: [AlertAdvance]) async throws -> [AlertAdvanceResult] {
        let revoked = revokedKeys()
        return subscriptionTable.withLock { table in advances.map { table.advance($0, revoked: revoked) } }
    }
}

extension InMemoryMetricStore.SubscriptionTable {
    fileprivate mutating func advance(_ advance: AlertAdvance, revoked: Set<Int64>) -> AlertAdvanceResult {
        guard let current = rows[advance.subscriptionID]?.subscription, !current.paused, !revoked.contains(current.owner)
        else { return .conflict(nil) }
        guard current.revision == advance.expectedRevision else { return .conflict(current) }
        let revision = current.revision + 1
        update(current.id) { $0.advanced(to: advance.state, judgedThrough: advance.judgedThrough, revision: revision) }
        var recorded: [Int64] = []
        for new in advance.events {
            if let index = events.values.first(where: {
                $0.event.subscriptionID == current.id && $0.event.episode == new.episode && $0.event.kind == new.kind
            })?.event.id {
                // Held back by the cooldown, and now sent: the same event, due now.
                guard new.isSent, events[index]!.event.status == .suppressed else { continue }
                events[index]!.event = events[index]!.event.with(
                    status: .pending, data: new.data, nextAttemptAt: advance.at)
                recorded.append(index)
                continue
            }
            lastEventID += 1
            let event = AlertEvent(
                id: lastEventID, subscriptionID: current.id, kind: new.kind, episode: new.episode,
                status: new.isSent ? .pending : .suppressed, sampleTime: new.sampleTime, createdAt: advance.at, data: new.data,
                attempts: 0, nextAttemptAt: new.isSent ? advance.at : nil, deliveredAt: nil, lastError: nil)
            events[event.id] = InMemoryMetricStore.StoredEvent(event: event)
            recorded.append(event.id)
        }
        return .advanced(revision: revision, events: recorded)
    }
}

extension InMemoryMetricStore {
    public func claimEvents(limit: Int, holder: String, now: Timestamp, leaseUntil: Timestamp) async throws -> [ClaimedEvent] {
        let revoked = revokedKeys()
        return subscriptionTable.withLock { table in
            let due = table.claimable(revoked: revoked).filter { stored in
                guard let next = stored.event.nextAttemptAt, next <= now else { return false }
                return stored.leaseUntil.map { $0 <= now } ?? true
            }
            .sorted { ($0.event.nextAttemptAt!, $0.event.id) < ($1.event.nextAttemptAt!, $1.event.id) }
            .prefix(limit)
            return due.map { stored in
                let retryUntil = stored.retryUntil ?? now.adding(microseconds: DeliveryRetention.retryWindowMicroseconds)
                table.events[stored.event.id]!.leaseHolder = holder
                table.events[stored.event.id]!.leaseUntil = leaseUntil
                table.events[stored.event.id]!.retryUntil = retryUntil
                let (subscription, secret) = table.rows[stored.event.subscriptionID]!
                return ClaimedEvent(event: stored.event, webhookURL: subscription.webhookURL, secret: secret, retryUntil: retryUntil)
            }
        }
    }

    public func complete(_ attempts: [DeliveryAttempt], holder: String) async throws {
        subscriptionTable.withLock { table in
            for attempt in attempts {
                guard let stored = table.events[attempt.eventID] else { continue }
                table.attempts.append(RecordedAttempt(id: Int64(table.attempts.count + 1), attempt: attempt))
                guard stored.leaseHolder == holder, stored.event.status == .pending else { continue }
                var event = stored.event
                switch attempt.outcome {
                case .delivered:
                    event = event.with(status: .delivered, nextAttemptAt: nil, deliveredAt: attempt.attemptedAt)
                case .retry(let time):
                    event = event.with(status: .pending, nextAttemptAt: time)
                case .dead:
                    event = event.with(status: .dead, nextAttemptAt: nil)
                case .gone:
                    event = event.with(status: .dead, nextAttemptAt: nil)
                    table.update(event.subscriptionID) { old in
                        Subscription(
                            id: old.id, owner: old.owner, metricID: old.metricID, rule: old.rule, webhookURL: old.webhookURL, paused: true,
                            state: old.state, createdAt: old.createdAt, updatedAt: attempt.attemptedAt, revision: old.revision + 1,
                            judgedThrough: old.judgedThrough)
                    }
                }
                table.events[event.id] = InMemoryMetricStore.StoredEvent(
                    event: event.with(attempts: event.attempts + 1, lastError: attempt.error), retryUntil: stored.retryUntil)
            }
        }
    }

    public func release(event: Int64, holder: String) async throws {
        subscriptionTable.withLock { table in
            guard table.events[event]?.leaseHolder == holder else { return }
            table.events[event]!.leaseHolder = nil
            table.events[event]!.leaseUntil = nil
        }
    }

    public func pruneSettledEvents(before cutoff: Timestamp) async throws -> Int {
        subscriptionTable.withLock { table in
            let gone = Set(table.events.values.filter { $0.event.status != .pending && $0.event.createdAt < cutoff }.map(\.event.id))
            for id in gone { table.events[id] = nil }
            table.attempts.removeAll { gone.contains($0.attempt.eventID) }
            return gone.count
        }
    }

    public func nextDueTime() async throws -> Timestamp? {
        let revoked = revokedKeys()
        return subscriptionTable.withLock { table in
            table.claimable(revoked: revoked).compactMap { stored in
                stored.event.nextAttemptAt.map { max($0, stored.leaseUntil ?? $0) }
            }.min()
        }
    }

    public func events(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [AlertEvent]? {
        subscriptionTable.withLock { table in
            guard table.rows[subscription]?.subscription.owner == owner else { return nil }
            return Array(
                table.events.values.map(\.event).filter { $0.subscriptionID == subscription && $0.id < (before ?? .max) }
                    .sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    public func deliveryAttempts(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [RecordedAttempt]? {
        subscriptionTable.withLock { table in
            guard table.rows[subscription]?.subscription.owner == owner else { return nil }
            return Array(
                table.attempts.filter {
                    table.events[$0.attempt.eventID]?.event.subscriptionID == subscription && $0.id < (before ?? .max)
                }.sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    public func recordedEvents(after cursor: ChangeCursor?) async throws -> RecordedAlertEvents {
        subscriptionTable.withLock { table in
            let newest = table.events.keys.max() ?? 0
            guard let last = cursor?.position.first else {
                return RecordedAlertEvents(events: [], cursor: ChangeCursor(position: [newest]))
            }
            let events = table.events.values.map(\.event).filter { $0.id > last }.sorted { $0.id < $1.id }.compactMap { event in
                table.rows[event.subscriptionID].map { RecordedAlertEvents.Owned(event: event, owner: $0.subscription.owner) }
            }
            return RecordedAlertEvents(events: events, cursor: ChangeCursor(position: [max(last, newest)]))
        }
    }

    public func redeliver(event id: Int64, of subscription: Int64, owner: Int64, at now: Timestamp) async throws -> RedeliveryResult {
        subscriptionTable.withLock { table in
            guard table.rows[subscription]?.subscription.owner == owner, let stored = table.events[id],
                stored.event.subscriptionID == subscription
            else { return .notFound }
            let leased = table.events.values.contains { other in
                other.event.subscriptionID == subscription && other.event.status == .pending && (other.leaseUntil.map { $0 > now } ?? false)
            }
            if leased { return .inFlight }
            let event = stored.event.with(status: .pending, attempts: 0, nextAttemptAt: now)
            table.events[id] = InMemoryMetricStore.StoredEvent(event: event)
            return .scheduled(event)
        }
    }

    private func revokedKeys() -> Set<Int64> {
        keyTable.withLock { Set($0.keys.filter { !$0.key.isActive }.map(\.key.id)) }
    }
}

extension InMemoryMetricStore.SubscriptionTable {
    /// The oldest pending event of each subscription that is neither paused nor its key revoked.
    func claimable(revoked: Set<Int64>) -> [InMemoryMetricStore.StoredEvent] {
        var oldestPending: [Int64: Int64] = [:]
        for stored in events.values where stored.event.status == .pending {
            let subscription = stored.event.subscriptionID
            oldestPending[subscription] = min(oldestPending[subscription] ?? .max, stored.event.id)
        }
        return oldestPending.values.compactMap { id in
            let stored = events[id]!
            guard let subscription = rows[stored.event.subscriptionID]?.subscription, !subscription.paused,
                !revoked.contains(subscription.owner)
            else { return nil }
            return stored
        }
    }
}

extension AlertEvent {
    /// A copy with some fields changed, for the stores that keep events as values.
    func with(
        status: Status? = nil, data: String? = nil, attempts: Int? = nil, nextAttemptAt: Timestamp?? = .none,
        deliveredAt: Timestamp?? = .none, lastError: String?? = .none
    ) -> AlertEvent {
        AlertEvent(
            id: id, subscriptionID: subscriptionID, kind: kind, episode: episode, status: status ?? self.status, sampleTime: sampleTime,
            createdAt: createdAt, data: data ?? self.data, attempts: attempts ?? self.attempts,
            nextAttemptAt: nextAttemptAt ?? self.nextAttemptAt, deliveredAt: deliveredAt ?? self.deliveredAt,
            lastError: lastError ?? self.lastError)
    }
}
