/// Why an upstream gave no quote for a ticker. Logged with the ticker and upstream, never stored.
public enum UpstreamError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No complete answer within the request timeout.
    case timedOut(seconds: Double)
    /// The connection could not be made or broke off.
    case unreachable(String)
    /// An HTTP status other than 2xx, with the start of the body.
    case httpStatus(Int, body: String)
    /// The body is not the JSON shape this exchange sends.
    case malformedBody(String)
    /// The exchange answered with an error of its own.
    case exchangeError(String)
    /// The exchange does not list this pair.
    case unknownPair(String)
    /// A number is missing, not a number, not finite, or out of range.
    case invalidValue(field: String, reason: String)
    /// The poll was stopped (shutdown) before the answer came.
    case cancelled

    /// A short, stable label for counting failures by kind.
    public var kind: String {
        switch self {
        case .timedOut: "timeout"
        case .unreachable: "unreachable"
        case .httpStatus: "http_status"
        case .malformedBody: "malformed_body"
        case .exchangeError: "exchange_error"
        case .unknownPair: "unknown_pair"
        case .invalidValue: "invalid_value"
        case .cancelled: "cancelled"
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let seconds): "no answer within \(seconds.shortDescription)s"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .httpStatus(let status, let body): "HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .malformedBody(let reason): "malformed body: \(reason)"
        case .exchangeError(let message): "exchange error: \(message)"
        case .unknownPair(let pair): "the exchange does not list \(pair)"
        case .invalidValue(let field, let reason): "invalid \(field): \(reason)"
        case .cancelled: "cancelled by shutdown"
        }
    }
}
