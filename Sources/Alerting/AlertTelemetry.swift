import Metrics
import MetricsStore

/// The names of the alerts' operational metrics (swift-metrics, exposed at `/ops/metrics`).
enum AlertTelemetryLabel {
    /// Events this instance recorded (an event another instance recorded first is not counted
    /// again), and firings it released from the cooldown, which count once more when sent.
    static let events = "cryptometrics_alert_events_total"
    /// Webhook attempts by outcome: `delivered`, `retry`, `dead`, `gone`.
    static let deliveries = "cryptometrics_webhook_deliveries_total"
    /// Seconds from sending a webhook to its answer (or the timeout).
    static let deliveryDuration = "cryptometrics_webhook_delivery_duration_seconds"
}

/// The dispatcher's counters, made once when it is built (after the executable installed the
/// backend).
struct DeliveryTelemetry: Sendable {
    private let delivered = Counter(label: AlertTelemetryLabel.deliveries, dimensions: [("outcome", "delivered")])
    private let retried = Counter(label: AlertTelemetryLabel.deliveries, dimensions: [("outcome", "retry")])
    private let dead = Counter(label: AlertTelemetryLabel.deliveries, dimensions: [("outcome", "dead")])
    private let gone = Counter(label: AlertTelemetryLabel.deliveries, dimensions: [("outcome", "gone")])
    private let duration = Timer(label: AlertTelemetryLabel.deliveryDuration, preferredDisplayUnit: .seconds)

    func count(_ attempt: DeliveryAttempt) {
        switch attempt.outcome {
        case .delivered: delivered.increment()
        case .retry: retried.increment()
        case .dead: dead.increment()
        case .gone: gone.increment()
        }
        duration.recordMicroseconds(attempt.latencyMicroseconds)
    }
}
