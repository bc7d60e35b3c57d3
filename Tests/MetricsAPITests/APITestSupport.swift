import Alerting
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore

/// A router over a store in memory, with the clock fixed at `now`.
struct APIHarness {
    static let now = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    let store = InMemoryMetricStore()

    static func with(_ body: (APIHarness) async throws -> Void) async throws {
        try await body(APIHarness())
    }

    /// Stores `values` for `ticker`'s `type`, one sample a minute ending `endingSecondsAgo` before now.
    func store(_ ticker: String, _ type: MetricType, _ values: [Double], endingSecondsAgo: Double = 0) async throws {
        let key = MetricKey(ticker: try Ticker(parsing: ticker), type: type)
        for (index, value) in values.enumerated() {
            let offset = -endingSecondsAgo - Double(values.count - 1 - index) * 60
            try await store.record([key: value], at: Self.now.adding(seconds: offset), origin: .polled(from: "test"))
        }
    }

    func id(_ ticker: String, _ type: MetricType) async throws -> Int64 {
        let key = MetricKey(ticker: try Ticker(parsing: ticker), type: type)
        return try await store.metrics().first { $0.key == key }!.id
    }

    /// Runs `body` with a client that sends requests straight to the router, over statistics
    /// loaded from what the store holds at `now`.
    func test(
        now: Timestamp = Self.now, pollStatus: (@Sendable () -> PollStatus)? = nil, leases: (any TickerLeases)? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await test(now: now, pollStatus: pollStatus, leases: leases) { client, _ in try await body(client) }
    }

    /// The same, handing `body` the statistics too, to refresh them after more writes.
    func test(
        now: Timestamp = Self.now,
        pollStatus: (@Sendable () -> PollStatus)? = nil,
        leases: (any TickerLeases)? = nil,
        allowPrivateTargets: Bool = true,
        writeLimit: WriteRateLimit = .default,
        crossOrigin: CrossOriginPolicy = .off,
        _ body: @escaping @Sendable (any TestClientProtocol, LiveStatistics) async throws -> Void
    ) async throws {
        let statistics = LiveStatistics(store: store, now: { now })
        try await statistics.refresh()
        // Webhooks to 127.0.0.1 are allowed unless a test says otherwise: the receivers listen there.
        let subscriptions = SubscriptionRoutes(
            keys: store, store: store, outbox: store, targets: WebhookTargetPolicy(allowPrivateTargets: allowPrivateTargets),
            now: { now }, writeLimit: writeLimit)
        let app = Application(
            router: buildRouter(
                statistics: statistics, stream: SampleStream(statistics: statistics), pollStatus: pollStatus, leases: leases,
                subscriptions: subscriptions, crossOrigin: crossOrigin))
        try await app.test(.router) { client in try await body(client, statistics) }
    }
}

extension TestResponse {
    var json: JSONValue {
        get throws { try JSONParser.parse(body.readableBytesView) }
    }

    var text: String { String(buffer: body) }
}
