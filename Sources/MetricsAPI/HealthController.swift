import Hummingbird
import MetricsStore

/// Probes for orchestrators: `/healthz` says the process answers, `/readyz` that it can also read
/// its database and has loaded the statistics, so that it can serve the API.
struct HealthController {
    let statistics: LiveStatistics

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in JSONBody.response(OneFieldBody.status("ok")) }
        router.get("readyz") { _, context in
            guard statistics.isLoaded else {
                return APIError(.serviceUnavailable, "The statistics are still loading from the database.").response()
            }
            do {
                try await statistics.store.checkReadable()
                return JSONBody.response(OneFieldBody.status("ready"))
            } catch {
                context.logger.warning("not ready: \(error)")
                return APIError(.serviceUnavailable, "The database cannot be read: \(error)").response()
            }
        }
    }
}
