import Foundation
import Hummingbird
import MetricsCore
import MetricsStore

/// The original API: the list of metrics, and one metric's 24-hour history with its standard
/// deviation and rank.
struct MetricsController<Store: MetricStore> {
    let store: Store
    let now: @Sendable () -> Timestamp

    /// The window the original served: the last 24 hours, both ends included.
    static var historyWindowSeconds: Double { 86_400 }

    func addRoutes(to group: RouterGroup<some RequestContext>) {
        group.get(use: list)
        group.get("{id}", use: detail)
    }

    @Sendable func list(_ request: Request, context: some RequestContext) async throws -> Response {
        JSONBody.response(MetricListBody(metrics: try await store.metrics()))
    }

    @Sendable func detail(_ request: Request, context: some RequestContext) async throws -> Response {
        // Decoded as Flask decoded it, so that `/metrics/%20` echoes " " in the 400 body.
        let raw = context.parameters.get("id") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        let id = try MetricID(text)
        let range = TimeRange(last: Self.historyWindowSeconds, endingAt: now())
        guard let value = id.value, let window = try await store.window(of: value, in: range) else {
            throw APIError.noSuchMetric(id.canonical)
        }
        return JSONBody.response(MetricDetailBody(report: MetricReport(window)))
    }
}

/// A metric id read from the path the way the original read it (Python's `int()`): surrounding
/// whitespace, a sign, leading zeros and underscores between digits are accepted; anything else is
/// the original's 400.
struct MetricID {
    /// The id, or `nil` for an integer no metric can have (beyond 64 bits).
    let value: Int64?
    /// The integer as the original printed it in its 404 (`007` → `7`).
    let canonical: String

    init(_ text: String) throws(APIError) {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let isDigit = { (character: Character) in character.isASCII && character.isNumber }
        guard let first = body.first, let last = body.last, isDigit(first), isDigit(last),
            body.allSatisfy({ isDigit($0) || $0 == "_" }), !body.contains("__")
        else {
            throw APIError.invalidMetricID(text)
        }
        let digits = body.filter(isDigit).drop { $0 == "0" }
        canonical = digits.isEmpty ? "0" : (negative ? "-" : "") + digits
        value = Int64(canonical)
    }
}
