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
///   - metricsRegistry: where operational metrics are collected, for `GET /ops/metrics`; with one,
///     every request is counted by route and status.
public func buildRouter<Store: MetricStore>(
    statistics: LiveStatistics<Store>,
    responseCacheBytes: Int = 64 << 20,
    pollStatus: (@Sendable () -> PollStatus)? = nil,
    metricsRegistry: PrometheusCollectorRegistry? = nil
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    if metricsRegistry != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: JSONErrorMiddleware())
    let cache = ResponseCache<ResponseKey>(budget: responseCacheBytes)
    MetricsController(statistics: statistics, cache: cache).addRoutes(to: router.group("metrics"))
    RankingsController(statistics: statistics, cache: cache).addRoutes(to: router)
    HealthController(statistics: statistics).addRoutes(to: router)
    OperationsController(status: pollStatus, registry: metricsRegistry).addRoutes(to: router)
    router.get("openapi.json") { _, _ in JSONBody.response(bytes: OpenAPIDocument.json.utf8) }
    return router
}
