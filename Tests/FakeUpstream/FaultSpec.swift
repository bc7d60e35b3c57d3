import MetricsCore

/// The text form of fault rules, shared by the `fake-upstream` command line and its control API:
///
///     exchange:endpoint=fault[@scope][#N | %K]
///
/// - `exchange`: kraken, zonda, coinbase, binance, bitstamp, gemini, cryptowatch, or `*` for all;
///   `endpoint`: quotes, candles, or `*` for both.
/// - `fault`: `latency:500ms`, `no-answer`, `server-error[:503]`, `rate-limited[:SECONDS]`,
///   `malformed-json`, `truncated-json`, `html`, `wrong-content-type`, `reset`, `drip:50ms`,
///   `status:CODE[:BODY]`, `wrong-pair`, `stale:SECONDS`, `bad-value[:RAW-JSON]` (no value: the field
///   is left out). Durations take `ms` or `s`.
/// - `@0.1`: a deterministic share of the pairs; `@BTCUSDT`: one market key.
/// - `#3`: only the next 3 matching requests; `%5`: every 5th matching request.
///
/// A body or raw value must not contain `@`, `#` or `%`.
public enum FaultSpec {
    /// A spec that cannot be read, with the reason.
    public struct ParseError: Error, CustomStringConvertible {
        public let spec: String
        public let reason: String
        public var description: String { "fault spec \"\(spec)\": \(reason)" }
    }

    /// The rules `spec` describes: one per route it names.
    public static func parse(_ spec: String) throws(ParseError) -> [FakeUpstream.FaultRule] {
        func fail(_ reason: String) -> ParseError { ParseError(spec: spec, reason: reason) }
        guard let equals = spec.firstIndex(of: "=") else { throw fail("expected exchange:endpoint=fault") }
        let target = spec[..<equals].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard target.count == 2 else { throw fail("expected exchange:endpoint before '='") }
        var rest = String(spec[spec.index(after: equals)...])

        var recurrence = FakeUpstream.Recurrence.always
        if let mark = rest.lastIndex(where: { $0 == "#" || $0 == "%" }) {
            guard let count = Int(rest[rest.index(after: mark)...]), count > 0 else { throw fail("expected a positive count after # or %") }
            recurrence = rest[mark] == "#" ? .next(count) : .everyNth(count)
            rest = String(rest[..<mark])
        }
        var pairs = FakeUpstream.PairScope.all
        if let at = rest.lastIndex(of: "@") {
            let scope = String(rest[rest.index(after: at)...])
            if let share = Double(scope) {
                guard (0...1).contains(share) else { throw fail("a share is between 0 and 1") }
                pairs = .share(share)
            } else {
                guard !scope.isEmpty else { throw fail("expected a share or a market after @") }
                pairs = .pair(scope)
            }
            rest = String(rest[..<at])
        }
        let fault = try fault(rest, fail)

        let exchanges: [FakeUpstream.Exchange]
        if target[0] == "*" {
            exchanges = FakeUpstream.Exchange.allCases
        } else {
            guard let exchange = FakeUpstream.Exchange(rawValue: target[0].lowercased()) else {
                throw fail("unknown exchange \"\(target[0])\"")
            }
            exchanges = [exchange]
        }
        let endpoints: [FakeUpstream.Endpoint]
        if target[1] == "*" {
            endpoints = FakeUpstream.Endpoint.allCases
        } else {
            guard let endpoint = FakeUpstream.Endpoint(rawValue: target[1].lowercased()) else {
                throw fail("unknown endpoint \"\(target[1])\" (quotes or candles)")
            }
            endpoints = [endpoint]
        }
        return exchanges.flatMap { exchange in
            endpoints.map { endpoint in
                var scoped = pairs
                if case .pair(let key) = pairs { scoped = .pair(exchange.normalized(key)) }
                return FakeUpstream.FaultRule(fault, on: .init(exchange, endpoint), pairs: scoped, recurrence: recurrence)
            }
        }
    }

    private static func fault(_ text: String, _ fail: (String) -> ParseError) throws(ParseError) -> FakeUpstream.Fault {
        let name = text.prefix { $0 != ":" }
        let argument: String? = name.count < text.count ? String(text[text.index(after: name.endIndex)...]) : nil
        func required() throws(ParseError) -> String {
            guard let argument, !argument.isEmpty else { throw fail("\(name) needs a value after ':'") }
            return argument
        }
        func number() throws(ParseError) -> Int {
            guard let value = Int(try required()), value >= 0 else { throw fail("\(name) needs a whole number") }
            return value
        }
        func duration() throws(ParseError) -> Duration {
            let value = try required()
            if value.hasSuffix("ms"), let amount = Int(value.dropLast(2)) { return .milliseconds(amount) }
            if value.hasSuffix("s"), let amount = Double(value.dropLast()) { return .milliseconds(Int(amount * 1000)) }
            throw fail("\(name) needs a duration such as 250ms or 2s")
        }
        switch name {
        case "latency": return .latency(try duration())
        case "no-answer": return .noAnswer
        case "server-error": return .serverError(argument == nil ? 503 : try number())
        case "rate-limited": return .rateLimited(retryAfterSeconds: argument == nil ? nil : try number())
        case "malformed-json": return .malformedJSON
        case "truncated-json": return .truncatedJSON
        case "html": return .htmlErrorPage
        case "wrong-content-type": return .wrongContentType
        case "reset": return .connectionReset
        case "drip": return .drip(interval: try duration())
        case "status":
            let parts = try required().split(separator: ":", maxSplits: 1).map(String.init)
            guard let code = Int(parts[0]) else { throw fail("status needs a code") }
            return .status(code, body: parts.count > 1 ? parts[1] : "{}")
        case "wrong-pair": return .wrongPair
        case "stale": return .staleQuote(ageSeconds: try number())
        case "bad-value": return .badValue(argument)
        default: throw fail("unknown fault \"\(name)\"")
        }
    }

    /// The text of `rule`, which ``parse(_:)`` reads back.
    public static func text(of rule: FakeUpstream.FaultRule) -> String {
        var text = "\(rule.route)=\(text(of: rule.fault))"
        switch rule.pairs {
        case .all: break
        case .pair(let key): text += "@\(key)"
        case .share(let share): text += "@\(share)"
        }
        switch rule.recurrence {
        case .always: break
        case .next(let count): text += "#\(count)"
        case .everyNth(let k): text += "%\(k)"
        }
        return text
    }

    private static func text(of fault: FakeUpstream.Fault) -> String {
        func duration(_ value: Duration) -> String {
            "\(value.milliseconds)ms"
        }
        switch fault {
        case .latency(let delay): return "latency:\(duration(delay))"
        case .noAnswer: return "no-answer"
        case .serverError(let status): return "server-error:\(status)"
        case .rateLimited(let seconds): return "rate-limited" + (seconds.map { ":\($0)" } ?? "")
        case .malformedJSON: return "malformed-json"
        case .truncatedJSON: return "truncated-json"
        case .htmlErrorPage: return "html"
        case .wrongContentType: return "wrong-content-type"
        case .connectionReset: return "reset"
        case .drip(let interval): return "drip:\(duration(interval))"
        case .status(let code, let body): return "status:\(code):\(body)"
        case .wrongPair: return "wrong-pair"
        case .staleQuote(let age): return "stale:\(age)"
        case .badValue(let raw): return "bad-value" + (raw.map { ":\($0)" } ?? "")
        }
    }
}
