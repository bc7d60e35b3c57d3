import MetricsCore
import Testing

@testable import MetricsStore

/// Subscriptions behave alike on every store: owned by one key, invisible to others, paged by id,
/// and a new rule starts the state afresh without reusing an episode number.
@Suite struct SubscriptionStoreTests {
    let now = try! Timestamp(rfc3339: "2026-12-03T08:00:00Z")

    @Test(arguments: StoreKind.available)
    func ownersSeeAndChangeOnlyTheirOwn(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let keys = try #require(store as? any APIKeyStore)
            let subscriptions = try #require(store as? any SubscriptionStore)
            let alice = try await keys.createKey(name: "alice", hash: APIKeySecret.generate().hash, at: now).id
            let bob = try await keys.createKey(name: "bob", hash: APIKeySecret.generate().hash, at: now).id
            let deviation = try AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 10))
            var made: [Subscription] = []
            for index in 1...5 {
                let owner = index == 3 ? bob : alice
                made.append(
                    try await subscriptions.createSubscription(
                        SubscriptionDraft(
                            owner: owner, metricID: Int64(index), rule: deviation, webhookURL: "https://example.com/hook/\(index)",
                            secret: "whsec_test\(index)"),
                        at: now))
            }
            let first = made[0]
            #expect(first.owner == alice && first.metricID == 1 && first.rule == deviation && !first.paused)
            #expect(first.state == AlertState() && first.createdAt == now && first.updatedAt == now)
            #expect(first.webhookURL == "https://example.com/hook/1")

            // Paged by id, the owner's only.
            let page1 = try await subscriptions.subscriptions(of: alice, after: nil, limit: 2)
            let page2 = try await subscriptions.subscriptions(of: alice, after: page1.last?.id, limit: 2)
            let page3 = try await subscriptions.subscriptions(of: alice, after: page2.last?.id, limit: 2)
            #expect((page1 + page2 + page3).map(\.metricID) == [1, 2, 4, 5])
            #expect(page3.isEmpty)
            #expect(try await subscriptions.subscriptions(of: bob, after: nil, limit: 10).map(\.metricID) == [3])

            // Another key's subscription is not found, changed or deleted.
            let bobs = made[2]
            #expect(try await subscriptions.subscription(bobs.id, of: alice) == nil)
            #expect(try await subscriptions.updateSubscription(bobs.id, of: alice, SubscriptionChange(paused: true), at: now) == nil)
            #expect(try await subscriptions.deleteSubscription(bobs.id, of: alice) == false)
            #expect(try await subscriptions.subscription(bobs.id, of: bob) == bobs)

            // Pausing keeps the state; a new rule restarts it.
            let later = now.adding(seconds: 60)
            let paused = try #require(
                try await subscriptions.updateSubscription(first.id, of: alice, SubscriptionChange(paused: true), at: later))
            #expect(paused.paused && paused.rule == deviation && paused.updatedAt == later && paused.createdAt == now)
            let threshold = try AlertRule(.threshold(.above, 100_000), cooldownSeconds: 60)
            let changed = try #require(
                try await subscriptions.updateSubscription(
                    first.id, of: alice, SubscriptionChange(rule: threshold, paused: false), at: later))
            #expect(changed.rule == threshold && !changed.paused && changed.state.status == .ok)
            #expect(try await subscriptions.subscription(first.id, of: alice) == changed, "what was stored is what was answered")

            #expect(try await subscriptions.deleteSubscription(first.id, of: alice))
            #expect(try await subscriptions.subscription(first.id, of: alice) == nil)
            #expect(try await subscriptions.deleteSubscription(first.id, of: alice) == false)
        }
    }

    @Test func aNewRuleKeepsTheEpisodeCountSoEventsStayUnique() throws {
        let rule = try AlertRule(.threshold(.above, 1), forSamples: 1, resolveSamples: 1, cooldownSeconds: 0)
        var state = AlertState()
        _ = state.observe(holds: true, at: now, rule: rule)
        #expect(state.status == .firing && state.episode == 1)
        let restarted = state.restarted()
        #expect(restarted.status == .ok && restarted.episode == 1 && restarted.lastSent == now && !restarted.episodeSent)
    }
}
