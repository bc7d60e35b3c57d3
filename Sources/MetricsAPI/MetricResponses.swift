import MetricsCore

/// `GET /metrics`: `{"metrics": [{"id", "metric_type", "ticker"}, ...]}`, as the original.
struct MetricListBody: JSONBodyWritable {
    let metrics: [Metric]

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("metrics")
        json.raw("[")
        for (index, metric) in metrics.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("id")
            json.integer(metric.id)
            json.raw(",")
            json.key("metric_type")
            json.string(metric.type.rawValue)
            json.raw(",")
            json.key("ticker")
            json.string(metric.ticker.description)
            json.raw("}")
        }
        json.raw("]}")
    }
}

/// `GET /metrics/{id}`: the original's fields, with RFC 3339 timestamps and `null` where the
/// original crashed (fewer than two samples).
struct MetricDetailBody: JSONBodyWritable {
    let report: MetricReport

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("id")
        json.integer(report.metric.id)
        json.raw(",")
        json.key("metric_24h_history")
        json.raw("[")
        for (index, sample) in report.history.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("timestamp")
            json.string(sample.timestamp.rfc3339)
            json.raw(",")
            json.key("value")
            json.float(sample.value)
            json.raw("}")
        }
        json.raw("],")
        // Explicit nulls: a missing key would break clients written against the original.
        json.key("metric_rank")
        json.optionalString(report.rank?.description)
        json.raw(",")
        json.key("metric_type")
        json.string(report.metric.type.rawValue)
        json.raw(",")
        json.key("standard_deviation")
        json.optionalFloat(report.standardDeviation)
        json.raw(",")
        json.key("ticker")
        json.string(report.metric.ticker.description)
        json.raw("}")
    }
}

/// A body with one string field: `{"status": "ok"}` from the probes, `{"error": "..."}` from every
/// failing request.
struct OneFieldBody: JSONBodyWritable {
    let key: StaticString
    let value: String

    static func status(_ value: String) -> OneFieldBody { OneFieldBody(key: "status", value: value) }
    static func error(_ value: String) -> OneFieldBody { OneFieldBody(key: "error", value: value) }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key(key)
        json.string(value)
        json.raw("}")
    }
}
