import Foundation
import Hummingbird
import MetricsCore
import MetricsStore

/// The original API, served from the ready statistics: the list of metrics, and one metric's
/// history with its standard deviation and rank; plus other windows, custom ranges and
/// downsampling.
struct MetricsController {
    let statistics: LiveStatistics
    let cache: ResponseCache<ResponseKey>

    /// The longest custom range, and the most samples one may hold: bounds on what one request
    /// reads from the store.
    static var longestCustomRange: Int64 { 31 * 86_400 }
    static var mostCustomSamples: Int { 500_000 }

    func addRoutes(to group: RouterGroup<some RequestContext>) {
        group.get(use: list)
        group.get("{id}", use: detail)
    }

    @Sendable func list(_ request: Request, context: some RequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        try statistics.requireLoaded()
        let (metrics, generation) = statistics.read { ($0.metrics, $0.generation) }
        return cache.body(for: .metrics, generation: generation) {
            RenderedBody(MetricListBody(metrics: metrics), capacity: metrics.count * 64 + 16)
        }.response(to: request)
    }

    @Sendable func detail(_ request: Request, context: some RequestContext) async throws -> Response {
        // Decoded as Flask decoded it, so that `/metrics/%20` echoes " " in the 400 body.
        let raw = context.parameters.get("id") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        let id = try MetricID(text)
        let query = try QueryParameters(request, allowed: ["window", "from", "to", "max_points"])
        let maxPoints = try query.integer("max_points", in: 2...1_000_000)
        let from = try query.timestamp("from")
        let to = try query.timestamp("to")
        if from != nil || to != nil {
            guard query.text("window") == nil else {
                throw APIError(.badRequest, "Give either window or from and to, not both.")
            }
            guard let from, let to else {
                throw APIError(.badRequest, "Give both from and to for a custom range.")
            }
            return try await customRange(id, from: from, to: to, maxPoints: maxPoints, request: request)
        }
        let window = try query.choice("window", default: StatisticsWindow.default)
        try statistics.requireLoaded()
        guard let value = id.value,
            let (report, generation) = statistics.read({ book in book.report(of: value, window: window).map { ($0, book.generation) } })
        else {
            throw APIError.noSuchMetric(id.canonical)
        }
        return cache.body(for: .metric(id: value, window: window, maxPoints: maxPoints), generation: generation) {
            RenderedBody(
                MetricDetailBody(
                    report: report, keptOffsets: maxPoints.map { Downsampling.largestTriangleThreeBuckets(report.history, maxPoints: $0) },
                    customRange: nil),
                capacity: (min(maxPoints ?? .max, report.history.count) + 4) * MetricDetailBody.bytesPerSample
            )
        }.response(to: request)
    }

    /// A range no window covers: read from the store and computed on the spot, with no rank (its
    /// peers have no statistics ready for the same range).
    private func customRange(_ id: MetricID, from: Timestamp, to: Timestamp, maxPoints: Int?, request: Request) async throws -> Response {
        guard from <= to else {
            throw APIError(.badRequest, "The range ends before it starts: from \(from.rfc3339) is after to \(to.rfc3339).")
        }
        guard to.microsecondsSince1970 - from.microsecondsSince1970 <= Self.longestCustomRange * 1_000_000 else {
            throw APIError(.badRequest, "The range is longer than \(Self.longestCustomRange / 86_400) days; ask for a shorter one.")
        }
        let range = TimeRange(from: from, through: to)
        guard let value = id.value,
            let found = try await statistics.store.samples(of: value, in: range, limit: Self.mostCustomSamples)
        else {
            throw APIError.noSuchMetric(id.canonical)
        }
        guard !found.isTruncated else {
            throw APIError(.badRequest, "The range holds more than \(Self.mostCustomSamples) samples; ask for a shorter one.")
        }
        let history = SampleHistory(timestamps: found.series.timestamps[...], values: found.series.values[...])
        let report = MetricReport(
            metric: found.metric,
            window: nil,
            history: history,
            statistics: WindowStatistics(of: found.series.values),
            rank: nil
        )
        let kept = maxPoints.map { Downsampling.largestTriangleThreeBuckets(history, maxPoints: $0) }
        return RenderedBody(
            MetricDetailBody(report: report, keptOffsets: kept, customRange: range),
            capacity: (min(maxPoints ?? .max, history.count) + 4) * MetricDetailBody.bytesPerSample
        ).response(to: request)
    }
}
