import Metrics
import Synchronization

/// The names of the poller's operational metrics (swift-metrics, exposed as Prometheus text at
/// `/ops/metrics`), all in one place. The code calls them telemetry, so that "metric" keeps
/// meaning one market's series of samples.
enum TelemetryLabel {
    /// Quotes by upstream and outcome (`ok`, or an ``UpstreamError/kind``).
    static let quotes = "cryptometrics_quotes_total"
    /// Requests that reached an upstream, by upstream and outcome.
    static let upstreamRequests = "cryptometrics_upstream_requests_total"
    /// Seconds from sending a request to its last body byte, by upstream.
    static let upstreamRequestDuration = "cryptometrics_upstream_request_duration_seconds"
    /// Samples stored, by kind (`poll`, `backfill`).
    static let samplesStored = "cryptometrics_samples_stored_total"
    /// Polled samples the store already held at their (metric, instant): with pollers sharing a
    /// database, a ticker polled twice in one slot. The target is 0.
    static let samplesConflicting = "cryptometrics_samples_conflicting_total"
    /// Seconds a poll cycle took, asking and storing.
    static let cycleDuration = "cryptometrics_poll_cycle_duration_seconds"
    /// Each upstream's breaker: 0 closed, 1 half open, 2 open.
    static let breakerState = "cryptometrics_upstream_breaker_state"
}

/// One counter label's handles, made once per set of dimension values and kept: a swift-metrics
/// handle is cheap to increment and costly to make. Made by the component that counts, when it is
/// built, so that it binds to the backend the executable installed before building it.
final class CounterFamily: Sendable {
    let label: String
    private let made = Mutex<[[String]: Counter]>([:])

    init(_ label: String) {
        self.label = label
    }

    /// The counter for these dimensions (name and value pairs, always in the same order).
    func callAsFunction(_ dimensions: (String, String)...) -> Counter {
        let key = dimensions.map(\.1)
        return made.withLock { made in
            if let counter = made[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            made[key] = counter
            return counter
        }
    }
}
