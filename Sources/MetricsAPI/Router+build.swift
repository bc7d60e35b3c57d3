import Alerting
import Hummingbird
import MetricsCore
import MetricsStore
import Prometheus

/// Builds every route of the HTTP API over the statistics of a store. The executable hands in the
/// real ones; tests hand in a temporary store and their own clock.
///
/// - Parameters:
///   - responseCacheBytes: how much memory rendered histories may take.
///   - pollStatus: the in-process poller's status for `GET /status`, `nil` when this process
///     does not poll.
///   - leases: the store's ticker leases, when pollers share them (PostgreSQL), for the pollers'
///     part of `GET /status`.
///   - telemetry: where the process's operational metrics (swift-metrics) are collected, for
///     `GET /ops/metrics`; with one, every request is counted by route and status.
///   - subscriptions: what the `/subscriptions` routes need; without it they do not exist.
///   - stream: the live stream's log for `GET /stream`, fed from the statistics' refreshes; without
///     it the route does not exist.
///   - limits: the bounds on a request's head (414, 431); the server applies the rest
///     (``HTTPLimits/server``).
///   - crossOrigin: the origins whose pages may call the API from a browser; none by default.
public func buildRouter(
    statistics: LiveStatistics,
    stream: SampleStream? = nil,
    responseCacheBytes: Int = 64 << 20,
    pollStatus: (@Sendable () -> PollStatus)? = nil,
    leases: (any TickerLeases)? = nil,
    telemetry: PrometheusCollectorRegistry? = nil,
    subscriptions: SubscriptionRoutes? = nil,
    limits: HTTPLimits = HTTPLimits(),
    crossOrigin: CrossOriginPolicy = .off
) -> Router<BasicRequestContext> {
    // Every GET route answers HEAD too, with the same headers and no body.
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Hummingbird's middleware that counts requests by route and status (swift-metrics).
    if telemetry != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: SecurityHeadersMiddleware())
    // Before routing, so that a preflight needs no OPTIONS route, and errors carry CORS headers too.
    if !crossOrigin.isOff { router.add(middleware: CrossOriginMiddleware(origins: crossOrigin)) }
    let routes = RouteMethods()
    router.add(middleware: JSONErrorMiddleware(routes: routes))
    router.add(middleware: HeadLimitMiddleware(limits: limits))
    let cache = ResponseCache<ResponseKey>(budget: responseCacheBytes)
    MetricsController(statistics: statistics, cache: cache).addRoutes(to: router.group("metrics"))
    RankingsController(statistics: statistics, cache: cache).addRoutes(to: router)
    let summaries = OverviewSummaries(statistics: statistics)
    OverviewController(statistics: statistics, cache: cache, summaries: summaries).addRoutes(to: router)
    DashboardController(statistics: statistics, cache: cache, summaries: summaries).addRoutes(to: router)
    HealthController(store: statistics.store, statistics: statistics, pollStatus: pollStatus).addRoutes(to: router)
    OperationsController(status: pollStatus, leases: leases, registry: telemetry).addRoutes(to: router)
    if let subscriptions {
        SubscriptionsController(
            statistics: statistics, keys: subscriptions.keys, subscriptions: subscriptions.store, outbox: subscriptions.outbox,
            targets: subscriptions.targets, changed: subscriptions.changed, now: subscriptions.now,
            writes: WriteAllowance(subscriptions.writeLimit)
        ).addRoutes(to: router.group("subscriptions"))
    }
    if let stream { StreamController(stream: stream, statistics: statistics, keys: subscriptions?.keys).addRoutes(to: router) }
    router.get("openapi.json") { _, _ in JSONBody.response(bytes: OpenAPIDocument.json.utf8) }
    routes.read(router)
    return router
}

/// What the subscription routes need: the store's keys, subscriptions and outbox, where webhooks
/// may go, and the bell that tells this instance's detector a subscription changed.
public struct SubscriptionRoutes: Sendable {
    public let keys: any APIKeyStore
    public let store: any SubscriptionStore
    public let outbox: any AlertOutbox
    public let targets: WebhookTargetPolicy
    public let changed: Doorbell
    public let now: @Sendable () -> Timestamp
    /// How many writes each key may make.
    public let writeLimit: WriteRateLimit

    public init(
        keys: any APIKeyStore, store: any SubscriptionStore, outbox: any AlertOutbox, targets: WebhookTargetPolicy,
        changed: Doorbell = Doorbell(), now: @escaping @Sendable () -> Timestamp = { .now }, writeLimit: WriteRateLimit = .default
    ) {
        self.writeLimit = writeLimit
        self.keys = keys
        self.store = store
        self.outbox = outbox
        self.targets = targets
        self.changed = changed
        self.now = now
    }
}

/// The routes a process that polls without serving the API (`cryptometrics poll --ops-port`)
/// answers operators on: `/healthz`, `/readyz` (its store can be read), `/status` (its own view
/// and, on a shared database, every poller's leases) and `/ops/metrics`.
public func buildOperationsRouter(
    store: any MetricStore,
    pollStatus: @escaping @Sendable () -> PollStatus,
    leases: (any TickerLeases)?,
    telemetry: PrometheusCollectorRegistry?
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    if telemetry != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: SecurityHeadersMiddleware())
    let routes = RouteMethods()
    router.add(middleware: JSONErrorMiddleware(routes: routes))
    router.add(middleware: HeadLimitMiddleware(limits: HTTPLimits()))
    HealthController(store: store, statistics: nil, pollStatus: pollStatus).addRoutes(to: router)
    OperationsController(status: pollStatus, leases: leases, registry: telemetry).addRoutes(to: router)
    routes.read(router)
    return router
}
