import Hummingbird
import MetricsCore
import MetricsStore

/// Builds every route of the HTTP API over the statistics of a store. The executable hands in the
/// real ones; tests hand in a temporary store and their own clock.
///
/// - Parameter responseCacheBytes: how much memory rendered histories may take.
public func buildRouter<Store: MetricStore>(
    statistics: LiveStatistics<Store>,
    responseCacheBytes: Int = 64 << 20
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    let cache = ResponseCache<ResponseKey>(budget: responseCacheBytes)
    MetricsController(statistics: statistics, cache: cache).addRoutes(to: router.group("metrics"))
    RankingsController(statistics: statistics, cache: cache).addRoutes(to: router)
    HealthController(statistics: statistics).addRoutes(to: router)
    router.get("openapi.json") { _, _ in JSONBody.response(bytes: OpenAPIDocument.json.utf8) }
    return router
}
