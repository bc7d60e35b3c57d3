import Hummingbird
import MetricsCore
import MetricsStore

/// Builds every route of the HTTP API over `store`. The executable hands in the real store; tests
/// hand in a temporary one and their own clock.
///
/// - Parameter now: the clock that ends the "last 24 hours" window.
public func buildRouter<Store: MetricStore>(
    store: Store,
    now: @escaping @Sendable () -> Timestamp = { .now }
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    MetricsController(store: store, now: now).addRoutes(to: router.group("metrics"))
    HealthController(store: store).addRoutes(to: router)
    router.get("openapi.json") { _, _ in JSONBody.response(bytes: OpenAPIDocument.json.utf8) }
    return router
}
