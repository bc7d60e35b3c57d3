import Hummingbird
import MetricsCore

/// A request's query string, read strictly: each route names the parameters it takes, and an
/// unknown one is a 400 that lists them, so that `?windw=1h` is not silently ignored. A parameter
/// given twice is a 400 too: which of the two was meant is not ours to guess.
struct QueryParameters {
    private let parameters: Hummingbird.Parameters

    init(_ request: Request, allowed: [String]) throws(APIError) {
        parameters = request.uri.queryParameters
        var seen: Set<Substring> = []
        for (name, _) in parameters {
            guard allowed.contains(String(name)) else {
                let takes =
                    allowed.isEmpty
                    ? "This endpoint takes no query parameters."
                    : "This endpoint takes \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))."
                throw APIError(.badRequest, "Unknown query parameter \"\(name)\". \(takes)")
            }
            guard seen.insert(name).inserted else {
                throw APIError(.badRequest, "Query parameter \"\(name)\" is given more than once. Give it once.")
            }
        }
    }

    func text(_ name: String) -> String? {
        parameters[Substring(name)].map(String.init)
    }

    /// One of `T`'s raw values, or the default when absent.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default value: T) throws(APIError) -> T where T.RawValue == String {
        guard let text = text(name) else { return value }
        guard let choice = T(rawValue: text) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError(.badRequest, "Invalid \(name) \"\(text)\". Use one of: \(options).")
        }
        return choice
    }

    /// A decimal integer in `range`, or `nil` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(.badRequest, "Invalid \(name) \"\(text)\". Use an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    func timestamp(_ name: String) throws(APIError) -> Timestamp? {
        guard let text = text(name) else { return nil }
        do {
            return try Timestamp(rfc3339: text)
        } catch {
            throw APIError(.badRequest, "Invalid \(name) \"\(text)\". Use an RFC 3339 timestamp such as 2026-11-25T12:00:00Z.")
        }
    }
}
