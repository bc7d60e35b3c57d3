import MetricsCore
import Testing

@testable import MetricsStore

/// The outbox behaves alike on every store: a state moves only from the revision read, an event
/// is recorded once per subscription, episode and kind, and dispatchers lease a subscription's
/// events one at a time, in order, until an attempt settles each.
@Suite struct AlertOutboxTests {
    let now = try! Timestamp(rfc3339: "2026-12-03T08:00:00Z")

    /// A store with one key and `count` subscriptions of it on metrics 1, 2, ….
    private func prepare(_ store: any MetricStore, count: Int = 1, key: String = "alice") async throws -> (
        outbox: any AlertOutbox, subscriptions: any SubscriptionStore, keys: any APIKeyStore, owner: Int64, made: [Subscription]
    ) {
        let keys = try #require(store as? any APIKeyStore)
        let subscriptions = try #require(store as? any SubscriptionStore)
        let outbox = try #require(store as? any AlertOutbox)
        let owner = try await keys.createKey(name: key, hash: APIKeySecret.generate().hash, at: now).id
        var made: [Subscription] = []
        for index in 1...count {
            made.append(
                try await subscriptions.createSubscription(
                    SubscriptionDraft(
                        owner: owner, metricID: Int64(index), rule: try AlertRule(.threshold(.above, 10)),
                        webhookURL: "http://127.0.0.1:9/\(index)", secret: "whsec_\(index)"),
                    at: now))
        }
        return (outbox, subscriptions, keys, owner, made)
    }

    private func firing(_ episode: Int, sent: Bool = true, data: String = #"{"value":11}"#) -> NewAlertEvent {
        NewAlertEvent(kind: .firing, episode: episode, isSent: sent, sampleTime: now, data: data)
    }

    /// Each subscription, fresh, fires its first episode: one event each, due now.
    private func fireOnce(_ subscriptions: [Subscription], in outbox: any AlertOutbox) async throws {
        _ = try await outbox.advance(
            subscriptions.map { subscription in
                AlertAdvance(
                    subscriptionID: subscription.id, expectedRevision: 0, state: state(firing: 1), judgedThrough: now,
                    events: [firing(1)], at: now)
            })
    }

    private func state(firing episode: Int) -> AlertState {
        AlertState(status: .firing, streak: 0, episode: episode, lastSent: now, episodeSent: true)
    }

    /// The live stream follows the outbox: each recorded event once, with its owner, from the
    /// position it started at; nothing recorded before it.
    @Test(arguments: StoreKind.available)
    func aFollowerGetsEachRecordedEventOnceWithItsOwner(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, subscriptions, keys, alice, made) = try await prepare(store, count: 2)
            try await fireOnce([made[0]], in: outbox)
            let start = try await outbox.recordedEvents(after: nil)
            #expect(start.events.isEmpty, "a follower starts from now")

            let bob = try await keys.createKey(name: "bob", hash: APIKeySecret.generate().hash, at: now).id
            let bobs = try await subscriptions.createSubscription(
                SubscriptionDraft(
                    owner: bob, metricID: 9, rule: try AlertRule(.threshold(.above, 10)), webhookURL: "http://127.0.0.1:9/b",
                    secret: "whsec_b"),
                at: now)
            try await fireOnce([made[1], bobs], in: outbox)
            let next = try await outbox.recordedEvents(after: start.cursor)
            #expect(next.events.map(\.event.subscriptionID) == [made[1].id, bobs.id])
            #expect(next.events.map(\.owner) == [alice, bob])
            #expect(next.events.allSatisfy { $0.event.kind == .firing && $0.event.data == #"{"value":11}"# })

            let after = try await outbox.recordedEvents(after: next.cursor)
            #expect(after.events.isEmpty, "each event once")
        }
    }

    @Test(arguments: StoreKind.available)
    func aStateMovesOnlyFromTheRevisionRead(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, subscriptions, _, owner, made) = try await prepare(store)
            let subscription = made[0]
            #expect(try await outbox.watchedSubscriptions().map(\.id) == [subscription.id])

            let step = AlertAdvance(
                subscriptionID: subscription.id, expectedRevision: subscription.revision, state: state(firing: 1), judgedThrough: now,
                events: [firing(1)], at: now)
            guard case .advanced(let revision, let events) = try await outbox.advance(step) else {
                Issue.record("the first advance from the stored revision is applied")
                return
            }
            #expect(revision == subscription.revision + 1 && events.count == 1)

            // A second detector, from the same revision, loses and reads what won.
            guard case .conflict(let current?) = try await outbox.advance(step) else {
                Issue.record("an advance from a stale revision is refused")
                return
            }
            #expect(current.revision == revision && current.state == state(firing: 1) && current.judgedThrough == now)

            // From the new revision, the same event again is not recorded twice.
            let again = AlertAdvance(
                subscriptionID: subscription.id, expectedRevision: revision, state: state(firing: 1), judgedThrough: now.adding(seconds: 1),
                events: [firing(1)], at: now)
            guard case .advanced(_, let none) = try await outbox.advance(again) else {
                Issue.record("an advance from the current revision is applied")
                return
            }
            #expect(none.isEmpty)
            #expect(try await outbox.events(of: subscription.id, owner: owner, before: nil, limit: 10)?.count == 1)

            // A change through the API moves the revision too: the detector's next advance fails.
            let changed = try #require(
                try await subscriptions.updateSubscription(
                    subscription.id, of: owner, SubscriptionChange(rule: try AlertRule(.threshold(.below, 5))), at: now))
            #expect(changed.revision == revision + 2 && changed.state.status == .ok && changed.state.episode == 1)
            guard case .conflict(let reread?) = try await outbox.advance(again) else {
                Issue.record("a change made through the API makes an older advance fail")
                return
            }
            #expect(reread == changed)

            // Paused: not watched, and not advanced.
            _ = try await subscriptions.updateSubscription(subscription.id, of: owner, SubscriptionChange(paused: true), at: now)
            #expect(try await outbox.watchedSubscriptions().isEmpty)
            guard case .conflict(nil) = try await outbox.advance(again) else {
                Issue.record("a paused subscription is not advanced")
                return
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aBatchOfMovesIsAnsweredMoveByMoveInOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, _, made) = try await prepare(store, count: 3)
            let steps = made.map { subscription in
                AlertAdvance(
                    subscriptionID: subscription.id, expectedRevision: subscription.revision, state: state(firing: 1), judgedThrough: now,
                    events: [firing(1)], at: now)
            }
            _ = try await outbox.advance(steps[1])
            let results = try await outbox.advance(steps)
            guard results.count == 3, case .advanced(_, let first) = results[0], case .conflict(let stale?) = results[1],
                case .advanced(_, let third) = results[2]
            else {
                Issue.record("one answer per move, in order: \(results)")
                return
            }
            #expect(first.count == 1 && third.count == 1 && stale.id == made[1].id && stale.revision == made[1].revision + 1)
            #expect(try await outbox.advance([]).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFiringHeldBackByTheCooldownIsTheSameEventWhenSent(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, owner, made) = try await prepare(store)
            let subscription = made[0]
            guard
                case .advanced(let revision, let held) = try await outbox.advance(
                    AlertAdvance(
                        subscriptionID: subscription.id, expectedRevision: 0, state: state(firing: 1), judgedThrough: now,
                        events: [firing(1, sent: false, data: #"{"value":11}"#)], at: now))
            else {
                Issue.record("applied")
                return
            }
            #expect(
                try await outbox.claimEvents(limit: 10, holder: "a", now: now.adding(seconds: 60), leaseUntil: now.adding(seconds: 90))
                    .isEmpty)
            let suppressed = try #require(try await outbox.events(of: subscription.id, owner: owner, before: nil, limit: 10)?.first)
            #expect(suppressed.id == held.first && suppressed.status == .suppressed && suppressed.nextAttemptAt == nil)

            let later = now.adding(seconds: 900)
            guard
                case .advanced(_, let sent) = try await outbox.advance(
                    AlertAdvance(
                        subscriptionID: subscription.id, expectedRevision: revision, state: state(firing: 1), judgedThrough: later,
                        events: [firing(1, sent: true, data: #"{"value":12}"#)], at: later))
            else {
                Issue.record("applied")
                return
            }
            #expect(sent == held, "the held-back event itself, now due")
            let due = try await outbox.claimEvents(limit: 10, holder: "a", now: later, leaseUntil: later.adding(seconds: 30))
            #expect(due.map(\.event.id) == held && due.first?.event.data == #"{"value":12}"#)
            #expect(due.first?.event.body == #"{"type":"alert.firing","timestamp":"\#(now.rfc3339)","data":{"value":12}}"#)
        }
    }

    @Test(arguments: StoreKind.available)
    func dispatchersLeaseEachSubscriptionsEventsOneAtATimeInOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, owner, made) = try await prepare(store, count: 2)
            var revisions = made.map(\.revision)
            for (index, subscription) in made.enumerated() {
                let resolved = NewAlertEvent(kind: .resolved, episode: 1, isSent: true, sampleTime: now, data: "{}")
                guard
                    case .advanced(let revision, _) = try await outbox.advance(
                        AlertAdvance(
                            subscriptionID: subscription.id, expectedRevision: revisions[index], state: AlertState(), judgedThrough: now,
                            events: [firing(1), resolved], at: now))
                else {
                    Issue.record("applied")
                    return
                }
                revisions[index] = revision
            }
            let first = made[0]
            let lease = now.adding(seconds: 30)
            // One event per subscription: each one's firing, not its resolution.
            let claimed = try await outbox.claimEvents(limit: 10, holder: "a", now: now, leaseUntil: lease)
            #expect(Set(claimed.map(\.event.subscriptionID)) == Set(made.map(\.id)) && claimed.allSatisfy { $0.event.kind == .firing })
            #expect(claimed.first { $0.event.subscriptionID == first.id }?.secret == "whsec_1")
            #expect(claimed.first?.webhookURL.hasPrefix("http://127.0.0.1:9/") == true)
            // Held: nothing for another dispatcher, until the lease runs out.
            #expect(try await outbox.claimEvents(limit: 10, holder: "b", now: now.adding(seconds: 1), leaseUntil: lease).isEmpty)
            let expired = try await outbox.claimEvents(
                limit: 10, holder: "b", now: lease.adding(seconds: 1), leaseUntil: lease.adding(seconds: 31))
            #expect(Set(expired.map(\.event.id)) == Set(claimed.map(\.event.id)), "after the lease, the same events, to another")

            // "a" lost its lease: its report is kept as an attempt but does not move the event.
            let firstFiring = try #require(claimed.first { $0.event.subscriptionID == first.id }).event
            let attemptedAt = lease.adding(seconds: 2)
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: firstFiring.id, attemptedAt: attemptedAt, latencyMicroseconds: 1_500, statusCode: 200, error: nil,
                        outcome: .delivered)
                ], holder: "a")
            #expect(try await outbox.events(of: first.id, owner: owner, before: nil, limit: 10)?.last?.status == .pending)
            // "b" holds it: a 500 schedules a retry, and nothing of the subscription is due before it.
            let retryAt = attemptedAt.adding(seconds: 5)
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: firstFiring.id, attemptedAt: attemptedAt, latencyMicroseconds: 2_000, statusCode: 500,
                        error: "the receiver answered 500", outcome: .retry(at: retryAt))
                ], holder: "b")
            #expect(try await outbox.nextDueTime() == retryAt)
            #expect(
                try await outbox.claimEvents(limit: 10, holder: "c", now: attemptedAt.adding(seconds: 1), leaseUntil: retryAt)
                    .filter { $0.event.subscriptionID == first.id }.isEmpty)
            let retried = try await outbox.claimEvents(limit: 10, holder: "c", now: retryAt, leaseUntil: retryAt.adding(seconds: 30))
            #expect(retried.map(\.event.id) == [firstFiring.id] && retried.first?.event.attempts == 1)
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: firstFiring.id, attemptedAt: retryAt, latencyMicroseconds: 900, statusCode: 204, error: nil,
                        outcome: .delivered)
                ], holder: "c")
            // Delivered: the resolution comes next.
            let next = try await outbox.claimEvents(limit: 10, holder: "c", now: retryAt, leaseUntil: retryAt.adding(seconds: 30))
            #expect(next.map(\.event.kind) == [.resolved] && next.first?.event.subscriptionID == first.id)

            let events = try #require(try await outbox.events(of: first.id, owner: owner, before: nil, limit: 10))
            #expect(events.map(\.kind) == [.resolved, .firing], "newest first")
            #expect(events.last?.status == .delivered && events.last?.deliveredAt == retryAt && events.last?.attempts == 2)
            let attempts = try #require(try await outbox.deliveryAttempts(of: first.id, owner: owner, before: nil, limit: 10))
            #expect(attempts.map(\.attempt.statusCode) == [204, 500, 200], "newest first, the lost lease's report too")
            #expect(attempts[1].attempt.outcome == .retry(at: retryAt) && attempts[1].attempt.error == "the receiver answered 500")
            let page = try #require(try await outbox.deliveryAttempts(of: first.id, owner: owner, before: attempts[0].id, limit: 1))
            #expect(page == [attempts[1]])
        }
    }

    @Test(arguments: StoreKind.available)
    func goneRevokedAndDeletedSubscriptionsGetNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, subscriptions, keys, owner, made) = try await prepare(store, count: 2)
            try await fireOnce(made, in: outbox)
            // 410 Gone: the event is dead and the subscription paused.
            let claimed = try await outbox.claimEvents(limit: 10, holder: "a", now: now, leaseUntil: now.adding(seconds: 30))
            let gone = try #require(claimed.first { $0.event.subscriptionID == made[0].id })
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: gone.event.id, attemptedAt: now, latencyMicroseconds: 1, statusCode: 410, error: "410 Gone", outcome: .gone
                    )
                ], holder: "a")
            #expect(try await subscriptions.subscription(made[0].id, of: owner)?.paused == true)
            #expect(try await outbox.events(of: made[0].id, owner: owner, before: nil, limit: 1)?.first?.status == .dead)
            #expect(try await outbox.watchedSubscriptions().map(\.id) == [made[1].id])

            // Another key sees none of it.
            let mallory = try await keys.createKey(name: "mallory", hash: APIKeySecret.generate().hash, at: now).id
            #expect(try await outbox.events(of: made[1].id, owner: mallory, before: nil, limit: 10) == nil)
            #expect(try await outbox.deliveryAttempts(of: made[1].id, owner: mallory, before: nil, limit: 10) == nil)
            let other = try #require(claimed.first { $0.event.subscriptionID == made[1].id }).event.id
            #expect(try await outbox.redeliver(event: other, of: made[1].id, owner: mallory, at: now) == .notFound)
            #expect(try await outbox.redeliver(event: other, of: made[1].id, owner: owner, at: now) == .inFlight)

            // A revoked key's subscriptions are neither watched nor delivered.
            _ = try await keys.revokeKey(named: "alice", at: now)
            #expect(try await outbox.watchedSubscriptions().isEmpty)
            #expect(
                try await outbox.claimEvents(limit: 10, holder: "b", now: now.adding(seconds: 60), leaseUntil: now.adding(seconds: 90))
                    .isEmpty)

            // Deleted: its events go with it.
            #expect(try await subscriptions.deleteSubscription(made[1].id, of: owner))
            #expect(try await outbox.events(of: made[1].id, owner: owner, before: nil, limit: 10) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSettledEventCanBeSentAgain(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, owner, made) = try await prepare(store)
            let subscription = made[0]
            _ = try await outbox.advance(
                AlertAdvance(
                    subscriptionID: subscription.id, expectedRevision: 0, state: state(firing: 1), judgedThrough: now,
                    events: [firing(1)], at: now))
            let event = try #require(
                try await outbox.claimEvents(limit: 1, holder: "a", now: now, leaseUntil: now.adding(seconds: 30)).first)
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: event.event.id, attemptedAt: now, latencyMicroseconds: 1, statusCode: nil, error: "timed out after 10 s",
                        outcome: .dead)
                ], holder: "a")
            #expect(try await outbox.nextDueTime() == nil)
            let later = now.adding(seconds: 86_400 * 2)
            guard
                case .scheduled(let again) = try await outbox.redeliver(event: event.event.id, of: subscription.id, owner: owner, at: later)
            else {
                Issue.record("a dead event is scheduled again")
                return
            }
            #expect(again.status == .pending && again.nextAttemptAt == later)
            let reclaimed = try #require(
                try await outbox.claimEvents(limit: 1, holder: "b", now: later, leaseUntil: later.adding(seconds: 30)).first)
            #expect(reclaimed.event.id == event.event.id && reclaimed.retryUntil == later.adding(seconds: 86_400), "a fresh day of retries")
            #expect(try await outbox.redeliver(event: event.event.id + 1_000, of: subscription.id, owner: owner, at: later) == .notFound)
            // While it is being sent, neither it nor another event of the subscription goes again.
            #expect(try await outbox.redeliver(event: event.event.id, of: subscription.id, owner: owner, at: later) == .inFlight)
            try await outbox.release(event: event.event.id, holder: "b")
            guard
                case .scheduled(let released) = try await outbox.redeliver(
                    event: event.event.id, of: subscription.id, owner: owner, at: later)
            else {
                Issue.record("released, it can be sent again")
                return
            }
            #expect(released.attempts == 0, "its attempts counted afresh")
        }
    }

    @Test(arguments: StoreKind.available)
    func settledEventsArePrunedAndPendingOnesKept(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, owner, made) = try await prepare(store, count: 2)
            try await fireOnce(made, in: outbox)
            let claimed = try await outbox.claimEvents(limit: 10, holder: "a", now: now, leaseUntil: now.adding(seconds: 30))
            let delivered = try #require(claimed.first { $0.event.subscriptionID == made[0].id }).event.id
            try await outbox.complete(
                [
                    DeliveryAttempt(
                        eventID: delivered, attemptedAt: now, latencyMicroseconds: 1, statusCode: 200, error: nil, outcome: .delivered)
                ], holder: "a")
            #expect(try await outbox.pruneSettledEvents(before: now) == 0, "only what was recorded before the cutoff")
            #expect(try await outbox.pruneSettledEvents(before: now.adding(seconds: 1)) == 1)
            #expect(try await outbox.events(of: made[0].id, owner: owner, before: nil, limit: 10)?.isEmpty == true)
            #expect(try await outbox.deliveryAttempts(of: made[0].id, owner: owner, before: nil, limit: 10)?.isEmpty == true)
            #expect(try await outbox.events(of: made[1].id, owner: owner, before: nil, limit: 10)?.count == 1, "pending stays")
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentDispatchersNeverShareAnEvent(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (outbox, _, _, _, made) = try await prepare(store, count: 40)
            try await fireOnce(made, in: outbox)
            let lease = now.adding(seconds: 30)
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for holder in 0..<4 {
                    group.addTask {
                        var mine: [Int64] = []
                        for _ in 0..<10 {
                            mine += try await outbox.claimEvents(limit: 3, holder: "d\(holder)", now: now, leaseUntil: lease).map(
                                \.event.id)
                        }
                        return mine
                    }
                }
                var all: [[Int64]] = []
                for try await claim in group { all.append(claim) }
                return all
            }
            let every = claims.flatMap { $0 }
            #expect(every.count == 40 && Set(every).count == 40, "each event to exactly one dispatcher")
        }
    }
}
