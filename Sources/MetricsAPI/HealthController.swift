import Hummingbird
import MetricsStore

/// Probes for orchestrators: `/healthz` says the process answers, `/readyz` that it can also read
/// its database and, in a process that serves the API, has loaded the statistics.
struct HealthController {
    let store: any MetricStore
    /// `nil` in a process that only polls.
    let statistics: LiveStatistics?

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in JSONBody.response(OneFieldBody.status("ok")) }
        router.get("readyz") { _, context in
            if let statistics, !statistics.isLoaded {
                return APIError(.serviceUnavailable, "The statistics are still loading from the database.").response()
            }
            do {
                try await store.checkReadable()
                return JSONBody.response(OneFieldBody.status("ready"))
            } catch {
                context.logger.warning("not ready: \(error)")
                return APIError(.serviceUnavailable, "The database cannot be read: \(error)").response()
            }
        }
    }
}
