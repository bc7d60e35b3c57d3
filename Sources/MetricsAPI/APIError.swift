import Hummingbird

/// A request the API refuses, answered as `{"error": "..."}` with a 4xx status: never a 500 and
/// never an HTML page for something the client can fix.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// Headers the answer carries besides the body's: `Retry-After` on a 429, say.
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    /// The original API's 400 for an id that is not an integer, word for word.
    static func invalidMetricID(_ text: String) -> APIError {
        APIError(.badRequest, "Invalid metric ID: \"\(text)\". Must be an integer.")
    }

    /// The original API's 404 for an id no metric has, word for word.
    static func noSuchMetric(_ id: String) -> APIError {
        APIError(.notFound, "No such metric with ID \(id).")
    }

    func response() -> Response {
        var response = JSONBody.response(OneFieldBody.error(message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
