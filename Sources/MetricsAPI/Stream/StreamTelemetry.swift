import Metrics

/// The live stream's operational metrics (swift-metrics, exposed at `/ops/metrics`), made once per
/// stream, when it is built (after the executable installed the backend).
struct StreamTelemetry: Sendable {
    /// Clients connected now.
    private let clients = Gauge(label: "cryptometrics_stream_clients")
    /// Events published, whatever the number of clients they went to.
    private let events = Counter(label: "cryptometrics_stream_events_total")
    /// Clients let go by the server: `stalled` (took nothing for the stall timeout), `behind` (fell
    /// too far behind).
    private let stalled = Counter(label: "cryptometrics_stream_cutoffs_total", dimensions: [("reason", "stalled")])
    private let behind = Counter(label: "cryptometrics_stream_cutoffs_total", dimensions: [("reason", "behind")])

    func connected(_ count: Int) { clients.record(count) }
    func published(_ count: Int) { events.increment(by: count) }
    func cutOff(stalled wasStalled: Bool) { (wasStalled ? stalled : behind).increment() }
}
