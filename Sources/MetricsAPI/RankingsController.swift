import Foundation
import Hummingbird
import MetricsCore
import MetricsStore

/// `GET /rankings`: every metric of a type ordered by a measure over a window, a page at a time.
struct RankingsController {
    let statistics: LiveStatistics
    let cache: ResponseCache<ResponseKey>

    static var defaultLimit: Int { 100 }
    static var largestLimit: Int { 1_000 }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("rankings", use: rankings)
    }

    @Sendable func rankings(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["metric_type", "window", "by", "limit", "offset"])
        let type = try query.choice("metric_type", default: MetricType.price)
        let window = try query.choice("window", default: StatisticsWindow.default)
        let measure = try query.choice("by", default: VolatilityMeasure.standardDeviation)
        let limit = try query.integer("limit", in: 0...Self.largestLimit) ?? Self.defaultLimit
        let offset = try query.integer("offset", in: 0...Int(Int32.max)) ?? 0
        try statistics.requireLoaded()
        let generation = statistics.read { $0.generation }
        let key = ResponseKey.rankings(type: type, window: window, measure: measure, limit: limit, offset: offset)
        if let cached = cache.cached(key, generation: generation) { return cached.response(to: request) }
        let (body, bookGeneration) = statistics.read { book in
            let ranking = book.ranking(StatisticsBook.RankingKey(type: type, window: window, measure: measure))
            let page = ranking.entries.dropFirst(offset).prefix(limit)
            let rows = page.enumerated().compactMap { index, entry in
                book.metric(entry.id).map {
                    RankingBody.Row(rank: offset + index + 1, metric: $0, statistics: book.statistics(of: entry.id, window: window))
                }
            }
            return (RankingBody(type: type, window: window, measure: measure, total: ranking.count, rows: rows), book.generation)
        }
        return cache.body(for: key, generation: bookGeneration) {
            RenderedBody(body, capacity: body.rows.count * 200 + 128)
        }.response(to: request)
    }
}
