import MetricsCore

/// `GET /metrics`: `{"metrics": [{"id", "metric_type", "ticker"}, ...]}`, as the original.
struct MetricListBody: Encodable {
    struct Entry: Encodable {
        let id: Int64
        let metricType: String
        let ticker: String

        enum CodingKeys: String, CodingKey {
            case id, ticker
            case metricType = "metric_type"
        }
    }

    let metrics: [Entry]

    init(_ metrics: [Metric]) {
        self.metrics = metrics.map { Entry(id: $0.id, metricType: $0.type.rawValue, ticker: $0.ticker.description) }
    }
}

/// `GET /metrics/{id}`: the original's fields, with RFC 3339 timestamps and `null` where the
/// original crashed (fewer than two samples).
struct MetricDetailBody: Encodable {
    struct Point: Encodable {
        let timestamp: String
        let value: Double
    }

    let report: MetricReport

    enum CodingKeys: String, CodingKey {
        case id, ticker
        case metricType = "metric_type"
        case history = "metric_24h_history"
        case standardDeviation = "standard_deviation"
        case rank = "metric_rank"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(report.metric.id, forKey: .id)
        try container.encode(report.metric.ticker.description, forKey: .ticker)
        try container.encode(report.metric.type.rawValue, forKey: .metricType)
        try container.encode(report.history.map { Point(timestamp: $0.timestamp.rfc3339, value: $0.value) }, forKey: .history)
        // Explicit nulls: a missing key would break clients written against the original.
        try container.encode(report.standardDeviation, forKey: .standardDeviation)
        try container.encode(report.rank?.description, forKey: .rank)
    }
}
