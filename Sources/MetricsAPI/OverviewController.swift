import Hummingbird
import MetricsCore
import MetricsStore
import Synchronization

/// `GET /overview`: every metric at a glance (newest value, change over an hour and a day, the
/// window's statistics and rank, a sparkline), in one body that the dashboard loads once and then
/// keeps current from `GET /stream`.
struct OverviewController {
    let statistics: LiveStatistics
    let cache: ResponseCache<ResponseKey>
    let summaries: OverviewSummaries

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("overview", use: overview)
    }

    @Sendable func overview(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["window"])
        let window = try query.choice("window", default: StatisticsWindow.default)
        try statistics.requireLoaded()
        let generation = statistics.read { $0.generation }
        if let cached = cache.cached(.overview(window: window), generation: generation) { return cached.response(to: request) }
        let (summaries, bookGeneration) = self.summaries.of(window)
        return cache.body(for: .overview(window: window), generation: bookGeneration) {
            RenderedBody(OverviewBody(window: window, summaries: summaries), capacity: summaries.count * 700 + 64)
        }.response(to: request)
    }
}

/// Every metric's summary over a window, worked out once per generation of the statistics and
/// shared by `GET /overview` and the dashboard's page (any sort, any page): at 20,000 metrics
/// that is the costly part, done under the statistics' lock.
final class OverviewSummaries: Sendable {
    private struct Kept {
        var generation: UInt64 = 0
        var byWindow: [StatisticsWindow: [MetricSummary]] = [:]
    }

    let statistics: LiveStatistics
    private let kept = Mutex(Kept())

    init(statistics: LiveStatistics) {
        self.statistics = statistics
    }

    /// The summaries of every metric in id order, and the generation they are of.
    func of(_ window: StatisticsWindow) -> (summaries: [MetricSummary], generation: UInt64) {
        let generation = statistics.read { $0.generation }
        if let summaries = kept.withLock({ $0.generation == generation ? $0.byWindow[window] : nil }) {
            return (summaries, generation)
        }
        let (summaries, read) = statistics.read { book in
            (book.metrics.compactMap { book.summary(of: $0.id, window: window) }, book.generation)
        }
        kept.withLock { kept in
            if read > kept.generation { kept = Kept(generation: read) }
            if read == kept.generation { kept.byWindow[window] = summaries }
        }
        return (summaries, read)
    }
}

/// `{"metrics": [...], "window": "24h"}`, one object per metric in id order.
struct OverviewBody: JSONBodyWritable {
    let window: StatisticsWindow
    let summaries: [MetricSummary]

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("metrics")
        json.raw("[")
        for (index, summary) in summaries.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("change_1h")
            json.optionalFloat(summary.changeOverHour)
            json.raw(",")
            json.key("change_24h")
            json.optionalFloat(summary.changeOverDay)
            json.raw(",")
            json.key("coefficient_of_variation")
            json.optionalFloat(summary.statistics.coefficientOfVariation)
            json.raw(",")
            json.key("id")
            json.integer(summary.metric.id)
            json.raw(",")
            json.key("log_return_volatility")
            json.optionalFloat(summary.statistics.logReturnVolatility)
            json.raw(",")
            json.key("metric_type")
            json.string(summary.metric.type.rawValue)
            json.raw(",")
            json.key("rank")
            json.optionalString(summary.rank?.description)
            json.raw(",")
            json.key("samples")
            json.integer(summary.statistics.count)
            json.raw(",")
            json.key("sparkline")
            json.raw("[")
            for (offset, value) in summary.sparkline.enumerated() {
                if offset > 0 { json.raw(",") }
                json.float(value)
            }
            json.raw("],")
            json.key("standard_deviation")
            json.optionalFloat(summary.statistics.standardDeviation)
            json.raw(",")
            json.key("ticker")
            json.string(summary.metric.ticker.description)
            json.raw(",")
            json.key("timestamp")
            json.optionalTimestamp(summary.latest?.timestamp)
            json.raw(",")
            json.key("value")
            json.optionalFloat(summary.latest?.value)
            json.raw("}")
        }
        json.raw("],")
        json.key("window")
        json.string(window.rawValue)
        json.raw("}")
    }
}
