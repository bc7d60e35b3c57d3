import Hummingbird
import MetricsCore
import MetricsStore

/// Probes for orchestrators: `/healthz` says the process answers, `/readyz` that it can also read
/// its database and, in a process that serves the API, has loaded the statistics.
///
/// A process whose poller has cycles waiting for the store (which refuses writes: full, locked,
/// away for writes only) is still ready, since it answers from what it holds: `/readyz` says
/// `degraded`, how many cycles wait and why, with a 200, so that a load balancer keeps it.
struct HealthController {
    let store: any MetricStore
    /// `nil` in a process that only polls.
    let statistics: LiveStatistics?
    /// The in-process poller's status, `nil` when this process does not poll.
    let pollStatus: (@Sendable () -> PollStatus)?

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in JSONBody.response(OneFieldBody.status("ok")) }
        router.get("readyz") { _, context in
            if let statistics, !statistics.isLoaded {
                return APIError(.serviceUnavailable, "The statistics are still loading from the database.").response()
            }
            do {
                try await store.checkReadable()
            } catch {
                context.logger.warning("not ready: \(error)")
                let serving = statistics == nil ? "" : " The API answers from what it holds."
                return APIError(.serviceUnavailable, "The database cannot be read: \(error).\(serving)").response()
            }
            if let status = pollStatus?(), status.unstoredCycles > 0 {
                return JSONBody.response(ReadinessBody(unstoredCycles: status.unstoredCycles, storeError: status.storeError))
            }
            return JSONBody.response(OneFieldBody.status("ready"))
        }
    }
}

/// `/readyz` while cycles wait for the store: `{"reason": ..., "status": "degraded", "unstored_cycles": N}`.
struct ReadinessBody: JSONBodyWritable {
    let unstoredCycles: Int
    let storeError: String?

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("reason")
        json.string(
            "\(unstoredCycles) poll cycle(s) wait in memory for the database, which refuses writes: \(storeError ?? "unknown"). "
                + "They are stored once it takes writes again.")
        json.raw(",")
        json.key("status")
        json.string("degraded")
        json.raw(",")
        json.key("unstored_cycles")
        json.integer(unstoredCycles)
        json.raw("}")
    }
}
