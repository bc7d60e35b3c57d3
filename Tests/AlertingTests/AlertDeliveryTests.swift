import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import SQLiteStore
import Synchronization
import TestSupport
import Testing

@testable import Alerting

/// Alerts from a stored sample to a webhook received on 127.0.0.1: the detector, the outbox and
/// the dispatcher together, with the clock in the test's hands.
@Suite struct AlertDeliveryTests {
    static let start = try! Timestamp(rfc3339: "2026-12-03T08:00:00Z")

    /// A store with a key and one metric with an hour of history (100 ± 1), statistics following
    /// it, and a detector watching.
    struct Harness {
        let store: any MetricStore
        let outbox: any AlertOutbox
        let clock = ManualClock(AlertDeliveryTests.start)
        let statistics: LiveStatistics
        let owner: Int64
        let metric: MetricKey
        var detector: AlertDetector

        init(store: any MetricStore = InMemoryMetricStore(), outbox: (any AlertOutbox)? = nil) async throws {
            self.store = store
            self.outbox = try outbox ?? #require(store as? any AlertOutbox)
            metric = MetricKey(ticker: try Ticker(parsing: "kraken:btcusd"), type: .price)
            owner = try await #require(store as? any APIKeyStore).createKey(
                name: "alice", hash: APIKeySecret.generate().hash, at: clock.now
            )
            .id
            let clock = self.clock
            statistics = LiveStatistics(store: store, now: { clock.now })
            detector = AlertDetector(statistics: statistics, outbox: self.outbox, logger: Logger(label: "test"), now: { clock.now })
            for minute in 0..<60 {
                try await record(minute.isMultiple(of: 2) ? 99 : 101)
                _ = minute
            }
            try await statistics.refresh()
            try await detector.reload()
            try await detector.detect()
        }

        /// Stores `value` a minute after the last sample.
        func record(_ value: Double) async throws {
            clock.advance(seconds: 60)
            try await store.record([metric: value], at: clock.now, origin: .polled(from: "test"))
        }

        /// Stores the values, a minute apart, and judges them; returns how many events were recorded.
        mutating func detect(_ values: Double...) async throws -> Int {
            for value in values { try await record(value) }
            try await statistics.refresh()
            return try await detector.detect().events
        }

        /// A subscription to the metric, posting to `url`; returns it with its secret.
        mutating func subscribe(_ rule: AlertRule, url: String) async throws -> (Subscription, WebhookSecret) {
            let subscriptions = try #require(store as? any SubscriptionStore)
            let id = try #require(statistics.read { $0.metrics.first?.id })
            let secret = WebhookSecret.generate()
            let made = try await subscriptions.createSubscription(
                SubscriptionDraft(owner: owner, metricID: id, rule: rule, webhookURL: url, secret: secret.text), at: clock.now)
            try await detector.reload()
            return (made, secret)
        }

        func dispatcher(
            timeout: Duration = .seconds(30), newEvents: Doorbell = Doorbell(), allowPrivateTargets: Bool = true
        ) -> WebhookDispatcher {
            let clock = self.clock
            return WebhookDispatcher(
                outbox: outbox, targets: WebhookTargetPolicy(allowPrivateTargets: allowPrivateTargets),
                configuration: WebhookDispatcher.Configuration(timeout: timeout, pollInterval: .milliseconds(50)), newEvents: newEvents,
                logger: Logger(label: "test"), now: { clock.now })
        }

        func events(of subscription: Subscription) async throws -> [AlertEvent] {
            try #require(try await outbox.events(of: subscription.id, owner: owner, before: nil, limit: 100))
        }

        func attempts(of subscription: Subscription) async throws -> [DeliveryAttempt] {
            try #require(try await outbox.deliveryAttempts(of: subscription.id, owner: owner, before: nil, limit: 100)).map(\.attempt)
                .reversed()
        }

        /// Waits until the subscription's attempts number `count`.
        func waitForAttempts(_ count: Int, of subscription: Subscription) async throws -> [DeliveryAttempt] {
            let attempts = try await eventually(within: .seconds(60)) {
                let attempts = try await self.attempts(of: subscription)
                return attempts.count >= count ? attempts : nil
            }
            return try #require(attempts, "\(count) attempts")
        }
    }

    @Test func aFiringAndItsResolutionArriveSignedAndInOrder() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        try await receiver.withRunning { base in
            var harness = prepared
            let (subscription, secret) = try await harness.subscribe(
                try AlertRule(.threshold(.above, 150), resolveSamples: 2), url: base + "/hooks/1")
            #expect(try await harness.detect(120, 200) == 1)
            #expect(try await harness.detect(120, 110) == 1)
            try await withRunningService(harness.dispatcher()) {
                let attempts = try await harness.waitForAttempts(2, of: subscription)
                #expect(attempts.map(\.outcome) == [.delivered, .delivered] && attempts.map(\.statusCode) == [200, 200])
            }
            let received = receiver.received(on: "/hooks/1")
            #expect(received.count == 2)
            let events = try await harness.events(of: subscription).reversed().map { $0 }
            #expect(events.map(\.kind) == [.firing, .resolved] && events.allSatisfy { $0.status == .delivered })
            for (request, event) in zip(received, events) {
                let id = try #require(request.headers["webhook-id"])
                let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
                let signature = try #require(request.headers["webhook-signature"])
                #expect(id == event.webhookID && request.headers["content-type"] == "application/json")
                #expect(timestamp == harness.clock.now.microsecondsSince1970 / 1_000_000)
                #expect(secret.verify(id: id, timestamp: timestamp, body: request.body, signatures: signature, now: timestamp))
                #expect(!secret.verify(id: id, timestamp: timestamp, body: request.body + [32], signatures: signature, now: timestamp))
                #expect(String(decoding: request.body, as: UTF8.self) == event.body)
            }
            let firing = try JSONParser.parse(received[0].body)
            #expect(firing["type"]?.string == "alert.firing")
            let data = try #require(firing["data"])
            #expect(data["subscription_id"]?.double == Double(subscription.id) && data["episode"]?.double == 1)
            #expect(data["value"]?.double == 200 && data["ticker"]?.string == "KRAKEN:BTCUSD" && data["metric_type"]?.string == "price")
            #expect(data["rule"]?["kind"]?.string == "threshold" && data["rule"]?["above"]?.double == 150)
            #expect(data["sample_time"]?.string == events[0].sampleTime.rfc3339)
            let resolved = try JSONParser.parse(received[1].body)
            #expect(resolved["type"]?.string == "alert.resolved" && resolved["data"]?["value"]?.double == 110)
        }
    }

    @Test func theDeviationRuleReportsItsFigures() async throws {
        var harness = try await Harness()
        let (subscription, _) = try await harness.subscribe(
            try AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 10)), url: "http://127.0.0.1:9/hook")
        // The hour holds 99 and 101 alternately (m = 100, D = 1): 102.5 is 2.5 D away, and 104,
        // judged against the hour that then holds 102.5 too, about 3.8 D.
        #expect(try await harness.detect(102.5) == 0)
        #expect(try await harness.detect(104) == 1)
        let event = try #require(try await harness.events(of: subscription).first)
        let data = try JSONParser.parse(Array(event.data.utf8))
        let m = try #require(data["m"]?.double)
        let d = try #require(data["D"]?.double)
        // The hour before 104: the last 59 minutes of history (101, 99, …, 101) and 102.5.
        let hour = (1..<60).map { $0.isMultiple(of: 2) ? 99.0 : 101.0 } + [102.5]
        let mean = hour.reduce(0, +) / 60
        let deviation = hour.map { abs($0 - mean) }.reduce(0, +) / 60
        #expect(abs(m - mean) < 1e-9 * mean && abs(d - deviation) < 1e-9 * deviation, "m \(m), D \(d)")
        #expect(abs(104 - mean) >= 3 * deviation && abs(102.5 - 100) < 3)
        #expect(data["samples"]?.double == 60 && data["value"]?.double == 104)
        #expect(event.kind == .firing && event.status == .pending && event.episode == 1)
    }

    @Test func failuresAreRetriedWithBackoffAndRetryAfterUntilDelivered() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/retry", [.status(500), .tooManyRequests(retryAfterSeconds: 7), .status(204)])
        try await receiver.withRunning { base in
            var harness = prepared
            let (subscription, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/retry")
            #expect(try await harness.detect(200) == 1)
            try await withRunningService(harness.dispatcher()) {
                let first = try await harness.waitForAttempts(1, of: subscription)[0]
                guard case .retry(let retryAt) = first.outcome else {
                    Issue.record("a 500 is retried: \(first.outcome)")
                    return
                }
                let wait = retryAt.microsecondsSince1970 - first.attemptedAt.microsecondsSince1970
                #expect((2_500_000...5_000_000).contains(wait), "the first retry within 5 s, jittered: \(wait) µs")
                #expect(first.statusCode == 500 && first.error == "the receiver answered 500")
                harness.clock.advance(seconds: 5)
                let second = try await harness.waitForAttempts(2, of: subscription)[1]
                #expect(second.statusCode == 429 && second.outcome == .retry(at: second.attemptedAt.adding(seconds: 7)), "Retry-After")
                harness.clock.advance(seconds: 6)
                // Not due yet: nothing is sent before Retry-After has passed.
                #expect(receiver.received(on: "/retry").count == 2)
                harness.clock.advance(seconds: 1)
                let third = try await harness.waitForAttempts(3, of: subscription)[2]
                #expect(third.statusCode == 204 && third.outcome == .delivered)
            }
            let received = receiver.received(on: "/retry")
            #expect(received.count == 3)
            #expect(Set(received.map { $0.headers["webhook-id"] }).count == 1, "the same webhook-id on every attempt")
            #expect(Set(received.map(\.body)).count == 1, "the same body on every attempt")
            let event = try #require(try await harness.events(of: subscription).first)
            #expect(event.status == .delivered && event.attempts == 3)
        }
    }

    @Test func goneAnswersPauseTheSubscription() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/gone", [.status(410)])
        try await receiver.withRunning { base in
            var harness = prepared
            let (subscription, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/gone")
            #expect(try await harness.detect(200) == 1)
            try await withRunningService(harness.dispatcher()) {
                let attempt = try await harness.waitForAttempts(1, of: subscription)[0]
                #expect(attempt.outcome == .gone && attempt.statusCode == 410)
            }
            let stored = try await #require(harness.store as? any SubscriptionStore).subscription(subscription.id, of: harness.owner)
            #expect(stored?.paused == true)
            #expect(try await harness.events(of: subscription).first?.status == .dead)
            #expect(try await harness.outbox.watchedSubscriptions().isEmpty)
        }
    }

    @Test func aReceiverThatDoesNotAnswerHoldsUpNoOther() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/held", [.holdUntilReleased])
        try await receiver.withRunning { base in
            var harness = prepared
            let rule = try AlertRule(.threshold(.above, 150))
            let (held, _) = try await harness.subscribe(rule, url: base + "/held")
            let (fast, _) = try await harness.subscribe(rule, url: base + "/fast")
            #expect(try await harness.detect(200) == 2)
            try await withRunningService(harness.dispatcher(timeout: .seconds(60))) {
                // Delivered while the other receiver holds its request, with a minute to go.
                let delivered = try await harness.waitForAttempts(1, of: fast)[0]
                #expect(delivered.outcome == .delivered)
                let heldAttempts = try await harness.attempts(of: held)
                #expect(receiver.received(on: "/held").count == 1 && heldAttempts.isEmpty)
                receiver.release()
                #expect(try await harness.waitForAttempts(1, of: held)[0].outcome == .delivered)
            }
        }
    }

    @Test func aReceiverThatDoesNotAnswerInTimeIsTriedAgain() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/silent", [.holdUntilReleased])
        try await receiver.withRunning { base in
            var harness = prepared
            let (silent, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/silent")
            #expect(try await harness.detect(200) == 1)
            try await withRunningService(harness.dispatcher(timeout: .milliseconds(300))) {
                let timedOut = try await harness.waitForAttempts(1, of: silent)[0]
                #expect(timedOut.statusCode == nil && timedOut.error == "no answer within 0.3 seconds")
                guard case .retry = timedOut.outcome else {
                    Issue.record("a timeout is retried: \(timedOut.outcome)")
                    return
                }
            }
            receiver.release()
        }
    }

    @Test func anEventWhoseDispatcherDiedIsDeliveredWhenItsLeaseRunsOut() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/lease", [.holdUntilReleased, .status(200)])
        try await receiver.withRunning { base in
            var harness = prepared
            let (subscription, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/lease")
            #expect(try await harness.detect(200) == 1)
            // The first dispatcher claims the event and sends it, then dies before any answer
            // (its task cancelled, as abrupt as a kill: nothing reported, nothing released).
            let first = harness.dispatcher(timeout: .seconds(30))
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await first.dispatch() }
                _ = try? await eventually { receiver.received(on: "/lease").isEmpty ? nil : true }
                group.cancelAll()
            }
            receiver.release()
            #expect(try await harness.attempts(of: subscription).isEmpty)
            let second = harness.dispatcher(timeout: .seconds(30))
            try await withRunningService(second) {
                // Held by the lease: nothing is sent again before it runs out.
                harness.clock.advance(seconds: 5)
                let lease = WebhookDispatcher.Configuration(timeout: .seconds(30)).lease
                #expect(
                    try await harness.outbox.claimEvents(limit: 1, holder: "probe", now: harness.clock.now, leaseUntil: harness.clock.now)
                        .isEmpty)
                harness.clock.advance(seconds: Double(lease.components.seconds))
                let attempt = try await harness.waitForAttempts(1, of: subscription)[0]
                #expect(attempt.outcome == .delivered)
            }
            let received = receiver.received(on: "/lease")
            #expect(received.count == 2 && received[0].headers["webhook-id"] == received[1].headers["webhook-id"])
        }
    }

    @Test func twoInstancesDetectingOnOneStoreRecordAndDeliverOnce() async throws {
        try await withTemporaryDirectory { directory in
            let receiver = WebhookReceiver()
            try await receiver.withRunning { base in
                let store = try SQLiteMetricStore(path: directory.appendingPathComponent("alerts.sqlite").path)
                var one = try await Harness(store: store)
                // A second instance: its own statistics and detector, on the same store and clock.
                let clock = one.clock
                let statistics = LiveStatistics(store: store, now: { clock.now })
                try await statistics.refresh()
                var two = AlertDetector(statistics: statistics, outbox: one.outbox, logger: Logger(label: "two"), now: { clock.now })
                try await two.detect()
                let (subscription, _) = try await one.subscribe(
                    try AlertRule(.threshold(.above, 150), resolveSamples: 1, cooldownSeconds: 0), url: base + "/once")
                try await two.reload()
                for value in [200.0, 100, 200] {
                    try await one.record(value)
                    try await one.statistics.refresh()
                    try await statistics.refresh()
                    // Both judge the same sample, in either order.
                    let (first, second) =
                        value == 100
                        ? (try await two.detect(), try await one.detector.detect())
                        : (
                            try await one.detector.detect(), try await two.detect()
                        )
                    #expect(first.events == 1 && second.events == 0 && second.conflicts == 1)
                }
                let events = try await one.events(of: subscription)
                #expect(events.map(\.kind) == [.firing, .resolved, .firing] && events.map(\.episode) == [2, 1, 1])
                // Two dispatchers on the one outbox: each event once.
                try await withRunningService(one.dispatcher()) {
                    try await withRunningService(one.dispatcher()) {
                        _ = try await one.waitForAttempts(3, of: subscription)
                    }
                }
                #expect(receiver.received(on: "/once").count == 3)
                #expect(try await one.attempts(of: subscription).count == 3)
            }
        }
    }

    @Test func theTargetIsCheckedAgainAtDelivery() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        try await receiver.withRunning { base in
            var harness = prepared
            // Made when private targets were allowed (or its name pointed elsewhere); now they are not.
            let (subscription, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/private")
            #expect(try await harness.detect(200) == 1)
            try await withRunningService(harness.dispatcher(allowPrivateTargets: false)) {
                let refused = try await harness.waitForAttempts(1, of: subscription)[0]
                #expect(refused.statusCode == nil && refused.error?.hasPrefix("webhook.url is not an allowed webhook target") == true)
                guard case .retry = refused.outcome else {
                    Issue.record("refused at delivery, and tried again later: \(refused.outcome)")
                    return
                }
            }
            #expect(receiver.received.isEmpty, "nothing was sent to the address refused")
        }
    }

    @Test func aGracefulStopLetsGoOfWhatItCouldNotFinish() async throws {
        let prepared = try await Harness()
        let receiver = WebhookReceiver()
        receiver.script("/stop", [.holdUntilReleased, .status(200)])
        try await receiver.withRunning { base in
            var harness = prepared
            let (subscription, _) = try await harness.subscribe(try AlertRule(.threshold(.above, 150)), url: base + "/stop")
            #expect(try await harness.detect(200) == 1)
            try await withRunningService(harness.dispatcher(timeout: .seconds(30))) {
                _ = try await eventually { receiver.received(on: "/stop").isEmpty ? nil : true }
            }
            // The attempt could not finish within the grace: abandoned, and its lease released,
            // so the event is claimed at once, with no clock moved.
            let again = try await harness.outbox.claimEvents(
                limit: 1, holder: "next", now: harness.clock.now, leaseUntil: harness.clock.now.adding(seconds: 30))
            #expect(again.map(\.event.subscriptionID) == [subscription.id])
            #expect(try await harness.attempts(of: subscription).isEmpty)
            receiver.release()
        }
    }

    @Test func anInstanceBehindDoesNotJudgeAgainWhatAnotherJudged() async throws {
        var one = try await Harness()
        // A second detector on the same store and book, which falls behind.
        let clock = one.clock
        var two = AlertDetector(statistics: one.statistics, outbox: one.outbox, logger: Logger(label: "two"), now: { clock.now })
        try await two.detect()
        let (subscription, _) = try await one.subscribe(try AlertRule(.threshold(.above, 150), forSamples: 3), url: "http://127.0.0.1:9/")
        try await two.reload()
        #expect(try await one.detect(200, 200, 200) == 1, "three samples above the line: firing")
        // The second reads the state the first stored, then sees the same three samples.
        try await two.reload()
        let report = try await two.detect()
        #expect(report.samples == 3 && report.advanced == 0 && report.events == 0)
        #expect(try await one.events(of: subscription).count == 1)
        // From there on both judge only what is new.
        #expect(try await one.detect(200) == 0)
        #expect(try await two.detect().advanced == 0)
    }

    @Test func samplesWhoseMoveWasNotStoredAreJudgedAgain() async throws {
        let store = FailingOutbox(base: InMemoryMetricStore())
        var harness = try await Harness(store: store.base, outbox: store)
        let (subscription, _) = try await harness.subscribe(
            try AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 10)), url: "http://127.0.0.1:9/")
        store.failNextAdvance()
        await #expect(throws: FailingOutbox.Failure.self) { try await harness.detect(150) }
        // The same sample, judged again against a window built afresh: the event is recorded once.
        try await harness.statistics.refresh()
        #expect(try await harness.detector.detect().events == 1)
        let events = try await harness.events(of: subscription)
        #expect(events.count == 1 && events.first?.kind == .firing)
        let data = try JSONParser.parse(Array(try #require(events.first).data.utf8))
        #expect(data["value"]?.double == 150 && data["samples"]?.double == 60)
    }
}

/// An outbox whose next advance fails, as a database that went away mid-cycle would.
final class FailingOutbox: AlertOutbox, Sendable {
    struct Failure: Error {}

    let base: InMemoryMetricStore
    private let failing = Mutex(false)

    init(base: InMemoryMetricStore) { self.base = base }

    func failNextAdvance() { failing.withLock { $0 = true } }

    func advance(_ advances: [AlertAdvance]) async throws -> [AlertAdvanceResult] {
        let fails = failing.withLock { state in
            defer { state = false }
            return state
        }
        if fails { throw Failure() }
        return try await base.advance(advances)
    }

    func watchedSubscriptions() async throws -> [Subscription] { try await base.watchedSubscriptions() }
    func claimEvents(limit: Int, holder: String, now: Timestamp, leaseUntil: Timestamp) async throws -> [ClaimedEvent] {
        try await base.claimEvents(limit: limit, holder: holder, now: now, leaseUntil: leaseUntil)
    }
    func complete(_ attempts: [DeliveryAttempt], holder: String) async throws { try await base.complete(attempts, holder: holder) }
    func release(event: Int64, holder: String) async throws { try await base.release(event: event, holder: holder) }
    func nextDueTime() async throws -> Timestamp? { try await base.nextDueTime() }
    func pruneSettledEvents(before cutoff: Timestamp) async throws -> Int { try await base.pruneSettledEvents(before: cutoff) }
    func events(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [AlertEvent]? {
        try await base.events(of: subscription, owner: owner, before: before, limit: limit)
    }
    func deliveryAttempts(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [RecordedAttempt]? {
        try await base.deliveryAttempts(of: subscription, owner: owner, before: before, limit: limit)
    }
    func redeliver(event: Int64, of subscription: Int64, owner: Int64, at now: Timestamp) async throws -> RedeliveryResult {
        try await base.redeliver(event: event, of: subscription, owner: owner, at: now)
    }
    func recordedEvents(after cursor: ChangeCursor?) async throws -> RecordedAlertEvents {
        try await base.recordedEvents(after: cursor)
    }
}
