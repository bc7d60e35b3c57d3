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
        JSONBody.response(MetricListBody(try await store.metrics()))
    }

    @Sendable func detail(_ request: Request, context: some RequestContext) async throws -> Response {
        // Decoded as Flask decoded it, so that `/metrics/%20` echoes " " in the 400 body.
        let raw = context.parameters.get("id") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        let id = try Self.metricID(text)
        let range = TimeRange(last: Self.historyWindowSeconds, endingAt: now())
        guard let id, let window = try await store.window(of: id, in: range) else {
            throw APIError.noSuchMetric(Self.canonicalInteger(text))
        }
        return JSONBody.response(MetricDetailBody(report: MetricReport(window)))
    }

    /// The id in the path. Anything that is not an integer is the original's 400; an integer too
    /// large for any id is simply not found (`nil`), as it was in the original.
    static func metricID(_ text: String) throws(APIError) -> Int64? {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw APIError.invalidMetricID(text)
        }
        return Int64(text)
    }

    /// How the original printed an integer id in its 404 (Python's `int()`: no sign, no leading zeros).
    static func canonicalInteger(_ text: String) -> String {
        let negative = text.hasPrefix("-")
        let digits = text.drop { $0 == "-" || $0 == "+" }.drop { $0 == "0" }
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + digits
    }
}
