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
public func buildRouter(
    statistics: LiveStatistics,
    responseCacheBytes: Int = 64 << 20,
    pollStatus: (@Sendable () -> PollStatus)? = nil,
    leases: (any TickerLeases)? = nil,
    telemetry: PrometheusCollectorRegistry? = nil
) -> Router<BasicRequestContext> {
    // Every GET route answers HEAD too, with the same headers and no body.
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Hummingbird's middleware that counts requests by route and status (swift-metrics).
    if telemetry != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: JSONErrorMiddleware())
    let cache = ResponseCache<ResponseKey>(budget: responseCacheBytes)
    MetricsController(statistics: statistics, cache: cache).addRoutes(to: router.group("metrics"))
    RankingsController(statistics: statistics, cache: cache).addRoutes(to: router)
    HealthController(store: statistics.store, statistics: statistics).addRoutes(to: router)
    OperationsController(status: pollStatus, leases: leases, registry: telemetry).addRoutes(to: router)
    router.get("openapi.json") { _, _ in JSONBody.response(bytes: OpenAPIDocument.json.utf8) }
    return router
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
    router.add(middleware: JSONErrorMiddleware())
    HealthController(store: store, statistics: nil).addRoutes(to: router)
    OperationsController(status: pollStatus, leases: leases, registry: telemetry).addRoutes(to: router)
    return router
}
