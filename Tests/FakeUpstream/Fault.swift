extension FakeUpstream {
    /// A way an exchange misbehaves. Transport faults change how (or whether) the answer travels;
    /// data faults (``wrongPair``, ``staleQuote(ageSeconds:)``, ``badValue(_:)``) send a well-formed
    /// answer whose content a validating client must refuse.
    public enum Fault: Sendable, Hashable {
        /// The normal answer, sent after this delay.
        case latency(Duration)
        /// No answer at all, not even headers, until the client gives up or the fake stops.
        case noAnswer
        /// This 5xx status with a short plain-text body, as a proxy in front of the exchange sends.
        case serverError(Int)
        /// 429 with the exchange's rate-limit body and, when given, `Retry-After` in seconds.
        case rateLimited(retryAfterSeconds: Int?)
        /// 200 `application/json` whose body is not JSON.
        case malformedJSON
        /// 200 with the first half of the normal body: valid start, cut mid-value.
        case truncatedJSON
        /// 200 `text/html`: the error page a CDN serves in front of a failing exchange.
        case htmlErrorPage
        /// The normal body as `text/plain`. A lenient client may parse it anyway; a strict one
        /// refuses any content type but JSON. Both are defensible; what a client must not do is
        /// treat an HTML page as JSON.
        case wrongContentType
        /// Headers and part of the body, then the socket is closed with a TCP reset: a transport
        /// failure, not an HTTP answer.
        case connectionReset
        /// The normal answer, its body sent one byte per `interval`.
        case drip(interval: Duration)
        /// This exact status and JSON body, for an exchange's own error answers.
        case status(Int, body: String)
        /// A normal-looking answer about another market of the exchange.
        case wrongPair
        /// The exchange's timestamps (and its candles) shifted this far into the past, where the
        /// format has any; Kraken's and Cryptowatch's tickers have none and are unchanged.
        case staleQuote(ageSeconds: Int)
        /// The price field (the close, in candles) replaced by this raw JSON text (`"\"abc\""`,
        /// `"0"`, `"-5"`, `"null"`), or left out when `nil`.
        case badValue(String?)

        /// The fault's name without its values: `badValue`.
        var kindName: String { String(String(describing: self).prefix { $0 != "(" }) }

        /// Whether the fault changes what the answer says rather than how it travels.
        public var isDataFault: Bool {
            switch self {
            case .wrongPair, .staleQuote, .badValue: true
            default: false
            }
        }
    }

    /// Which pairs' requests (or, for data faults, answer entries) a fault applies to.
    public enum PairScope: Sendable, Hashable {
        /// Every request of the route.
        case all
        /// Requests naming this market key (`BTCUSDT`); in an answer about several markets, a data
        /// fault changes only this market's entry.
        case pair(String)
        /// The markets whose key hashes into this share (0...1), the same ones every run: for soak tests.
        case share(Double)

        /// Whether the scope includes the market `key`.
        public func includes(_ key: String) -> Bool {
            switch self {
            case .all: true
            case .pair(let pair): pair == key
            case .share(let share): Double(Self.stableHash(key) % 10_000) < share * 10_000
            }
        }

        /// FNV-1a: stable across runs and processes, unlike `Hasher`.
        static func stableHash(_ text: String) -> UInt64 {
            text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        }
    }

    /// How often a fault fires among the requests it matches.
    public enum Recurrence: Sendable, Hashable {
        /// Every matching request, until cleared.
        case always
        /// The next N matching requests, then normal answers again: for a breaker that must recover.
        case next(Int)
        /// Every k-th matching request (the k-th, 2k-th, ...).
        case everyNth(Int)
    }

    /// A fault set on a route, with its scope. Its text form (``spec``) is the one the
    /// `fake-upstream` flags and control API take: `binance:quotes=rate-limited:5@0.1#3`.
    public struct FaultRule: Sendable, Hashable, CustomStringConvertible {
        public var fault: Fault
        public var route: Route
        public var pairs: PairScope
        public var recurrence: Recurrence

        public init(_ fault: Fault, on route: Route, pairs: PairScope = .all, recurrence: Recurrence = .always) {
            self.fault = fault
            self.route = route
            self.pairs = pairs
            self.recurrence = recurrence
        }

        public var description: String { FaultSpec.text(of: self) }
    }
}
