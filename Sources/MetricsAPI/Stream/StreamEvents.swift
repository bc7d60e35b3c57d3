import Hummingbird
import MetricsCore
import MetricsStore

/// A `sample` event's data: the sample, its metric, and the metric's statistics as of the refresh
/// that brought it.
struct SampleEvent: JSONBodyWritable {
    let metric: Metric
    let timestamp: Int64
    let value: Double
    let window: StatisticsWindow
    let statistics: WindowStatistics

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("coefficient_of_variation")
        json.optionalFloat(statistics.coefficientOfVariation)
        json.raw(",")
        json.key("id")
        json.integer(metric.id)
        json.raw(",")
        json.key("log_return_volatility")
        json.optionalFloat(statistics.logReturnVolatility)
        json.raw(",")
        json.key("metric_type")
        json.string(metric.type.rawValue)
        json.raw(",")
        json.key("samples")
        json.integer(statistics.count)
        json.raw(",")
        json.key("standard_deviation")
        json.optionalFloat(statistics.standardDeviation)
        json.raw(",")
        json.key("ticker")
        json.string(metric.ticker.description)
        json.raw(",")
        json.key("timestamp")
        json.timestamp(timestamp)
        json.raw(",")
        json.key("value")
        json.float(value)
        json.raw(",")
        json.key("window")
        json.string(window.rawValue)
        json.raw("}")
    }
}

/// Writes events in the server-sent events format (`id:`, `event:`, one `data:` line of JSON, a
/// blank line) into one buffer, remembering where each lies. JSON written by ``JSONWriter`` holds
/// no line break, so one `data:` line always carries it whole.
struct StreamEventEncoder {
    let instance: String
    private var json = JSONWriter(capacity: 4096)
    private var events: [SampleStream.Event] = []

    init(instance: String) {
        self.instance = instance
    }

    mutating func sample(_ sample: SampleEvent, sequence: UInt64) {
        write(name: "sample", metricID: sample.metric.id, sequence: sequence) { sample.write(to: &$0) }
    }

    /// An `alert` event: the webhook's body (`{"type", "timestamp", "data"}`) with the event's id
    /// and status added, for the key that owns its subscription.
    mutating func alert(_ event: AlertEvent, owner: Int64, sequence: UInt64) {
        write(name: "alert", metricID: nil, owner: owner, sequence: sequence) { json in
            json.raw("{")
            json.key("data")
            json.json(event.data)
            json.raw(",")
            json.key("event_id")
            json.string(event.webhookID)
            json.raw(",")
            json.key("status")
            json.string(event.status.rawValue)
            json.raw(",")
            json.key("subscription_id")
            json.integer(event.subscriptionID)
            json.raw(",")
            json.key("timestamp")
            json.timestamp(event.createdAt.microsecondsSince1970)
            json.raw(",")
            json.key("type")
            json.string(event.kind.rawValue)
            json.raw("}")
        }
    }

    mutating func reset(reason: String, sequence: UInt64) {
        write(name: "reset", metricID: nil, sequence: sequence) { OneFieldBody(key: "reason", value: reason).write(to: &$0) }
    }

    mutating func finish() -> (events: [SampleStream.Event], bytes: ByteBuffer) {
        (events, json.buffer)
    }

    private mutating func write(
        name: String, metricID: Int64?, owner: Int64? = nil, sequence: UInt64, data: (inout JSONWriter) -> Void
    ) {
        let start = json.buffer.readableBytes
        json.json("id: \(instance)-\(sequence)\nevent: \(name)\ndata: ")
        data(&json)
        json.raw("\n\n")
        events.append(SampleStream.Event(metricID: metricID, owner: owner, range: start..<json.buffer.readableBytes))
    }
}
