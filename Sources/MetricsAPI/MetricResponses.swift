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
/// original crashed (fewer than two samples), then this API's additions: the window, the two
/// normalized measures, and for a custom range its bounds.
struct MetricDetailBody: JSONBodyWritable {
    let report: MetricReport
    /// The history's offsets to write, when downsampled; every sample when `nil`.
    let keptOffsets: [Int]?
    /// Set for `?from=&to=`, which has no named window.
    let customRange: TimeRange?

    /// Bytes a history sample takes, for sizing the buffer once.
    static let bytesPerSample = 52

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("coefficient_of_variation")
        json.optionalFloat(report.statistics.coefficientOfVariation)
        if let customRange {
            json.raw(",")
            json.key("from")
            json.timestamp(customRange.from.microsecondsSince1970)
        }
        json.raw(",")
        json.key("id")
        json.integer(report.metric.id)
        json.raw(",")
        json.key("log_return_volatility")
        json.optionalFloat(report.statistics.logReturnVolatility)
        json.raw(",")
        // The original's name, whatever the window, so that its clients keep working.
        json.key("metric_24h_history")
        json.raw("[")
        if let keptOffsets {
            json.samples(report.history, offsets: keptOffsets)
        } else {
            json.samples(report.history, offsets: 0..<report.history.count)
        }
        json.raw("],")
        // Explicit nulls: a missing key would break clients written against the original.
        json.key("metric_rank")
        json.optionalString(report.rank?.description)
        json.raw(",")
        json.key("metric_type")
        json.string(report.metric.type.rawValue)
        json.raw(",")
        // How many samples the statistics are over, whatever max_points kept of them.
        json.key("samples")
        json.integer(report.statistics.count)
        json.raw(",")
        json.key("standard_deviation")
        json.optionalFloat(report.statistics.standardDeviation)
        json.raw(",")
        json.key("ticker")
        json.string(report.metric.ticker.description)
        if let customRange {
            json.raw(",")
            json.key("to")
            json.timestamp(customRange.through.microsecondsSince1970)
        }
        json.raw(",")
        json.key("window")
        json.string(report.window?.rawValue ?? "custom")
        json.raw("}")
    }
}

/// `GET /rankings`: one page of a ranking, ascending by the chosen measure.
struct RankingBody: JSONBodyWritable {
    struct Row {
        let rank: Int
        let metric: Metric
        let statistics: WindowStatistics
    }

    let type: MetricType
    let window: StatisticsWindow
    let measure: VolatilityMeasure
    let total: Int
    let rows: [Row]

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("by")
        json.string(measure.rawValue)
        json.raw(",")
        json.key("metric_type")
        json.string(type.rawValue)
        json.raw(",")
        json.key("rankings")
        json.raw("[")
        for (index, row) in rows.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("coefficient_of_variation")
            json.optionalFloat(row.statistics.coefficientOfVariation)
            json.raw(",")
            json.key("id")
            json.integer(row.metric.id)
            json.raw(",")
            json.key("log_return_volatility")
            json.optionalFloat(row.statistics.logReturnVolatility)
            json.raw(",")
            json.key("rank")
            json.integer(row.rank)
            json.raw(",")
            json.key("standard_deviation")
            json.optionalFloat(row.statistics.standardDeviation)
            json.raw(",")
            json.key("ticker")
            json.string(row.metric.ticker.description)
            json.raw("}")
        }
        json.raw("],")
        json.key("total")
        json.integer(total)
        json.raw(",")
        json.key("window")
        json.string(window.rawValue)
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
