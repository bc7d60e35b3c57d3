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
    /// The exchange answered for another market than the one asked for.
    case wrongPair(asked: String, answered: String)
    /// The exchange's own timestamp on the quote is older than the configured maximum age.
    case staleQuote(ageSeconds: Double, maximumSeconds: Double)
    /// 429 (or Binance's 418): the exchange wants fewer requests, and says when to come back if
    /// it sent `Retry-After`.
    case rateLimited(retryAfterSeconds: Double?)
    /// The upstream's circuit breaker is open after repeated failures: not asked until its probe.
    case circuitOpen(probeInSeconds: Double)
    /// Not asked at all: the exchange's rate limit left no slot, or the cycle's budget was spent,
    /// before the cycle's deadline. Says nothing about the upstream's health.
    case notSent(String)
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
        case .wrongPair: "wrong_pair"
        case .staleQuote: "stale_quote"
        case .rateLimited: "rate_limited"
        case .circuitOpen: "circuit_open"
        case .notSent: "not_sent"
        case .cancelled: "cancelled"
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let seconds): "no answer within \(seconds.shortDescription)s"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .httpStatus(let status, let body): "HTTP \(status)" + (body.isEmpty ? "" : ": \(Self.shown(body))")
        case .malformedBody(let reason): "malformed body: \(Self.shown(reason))"
        case .exchangeError(let message): "exchange error: \(Self.shown(message))"
        case .unknownPair(let pair): "the exchange does not list \(pair)"
        case .invalidValue(let field, let reason): "invalid \(Self.shown(field)): \(Self.shown(reason))"
        case .wrongPair(let asked, let answered): "asked for \(asked) but the answer is for \(Self.shown(answered))"
        case .staleQuote(let age, let maximum):
            "the quote is \(age.shortDescription)s old, more than the \(maximum.shortDescription)s allowed (max_quote_age_seconds)"
        case .rateLimited(let retryAfter):
            "rate limited (HTTP 429)" + (retryAfter.map { ", retry after \($0.shortDescription)s" } ?? "")
        case .circuitOpen(let probeIn): "circuit open after repeated failures; next probe in \(probeIn.shortDescription)s"
        case .notSent(let reason): "not asked: \(reason)"
        case .cancelled: "cancelled by shutdown"
        }
    }

    /// The longest text from an answer that a description repeats.
    static let shownCharacters = 200

    /// `text`, which came from an exchange, as the logs and `/status` show it: at most
    /// ``shownCharacters`` characters, and control characters (a line break that would start a
    /// forged log line, an escape sequence for a terminal) written as `\u{...}`.
    static func shown(_ text: String) -> String {
        var shown = ""
        for character in text.prefix(shownCharacters) {
            let unseen = character.unicodeScalars.contains { [.control, .format].contains($0.properties.generalCategory) }
            if unseen {
                shown += character.unicodeScalars.map { "\\u{\(String($0.value, radix: 16))}" }.joined()
            } else {
                shown.append(character)
            }
        }
        return text.count > shownCharacters ? shown + "… (\(text.utf8.count) bytes)" : shown
    }
}
