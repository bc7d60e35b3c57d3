/// What the poller last saw of each ticker and upstream: served at `GET /status`, so that an
/// operator can tell a dead exchange from a delisted pair without reading logs.
public struct PollStatus: Hashable, Sendable {
    public struct TickerStatus: Hashable, Sendable {
        public let ticker: Ticker
        /// The upstreams that may serve it, first choice first.
        public let upstreams: [String]
        public var lastSuccess: Timestamp?
        /// The upstream that served the last success.
        public var lastUpstream: String?
        public var lastError: Failure?
        public var consecutiveFailures: Int

        public init(ticker: Ticker, upstreams: [String]) {
            self.ticker = ticker
            self.upstreams = upstreams
            self.consecutiveFailures = 0
        }
    }

    public struct Failure: Hashable, Sendable {
        public let at: Timestamp
        public let upstream: String
        /// A short stable label (`timeout`, `stale_quote`).
        public let kind: String
        /// What went wrong, for people.
        public let reason: String

        public init(at: Timestamp, upstream: String, kind: String, reason: String) {
            self.at = at
            self.upstream = upstream
            self.kind = kind
            self.reason = reason
        }
    }

    public struct UpstreamStatus: Hashable, Sendable {
        public let name: String
        public let endpoint: String
        /// `closed`, `open` or `half_open`.
        public let breaker: String
        public let consecutiveFailures: Int
        /// When an open breaker lets its probe through.
        public let probeAt: Timestamp?

        public init(name: String, endpoint: String, breaker: String, consecutiveFailures: Int, probeAt: Timestamp?) {
            self.name = name
            self.endpoint = endpoint
            self.breaker = breaker
            self.consecutiveFailures = consecutiveFailures
            self.probeAt = probeAt
        }
    }

    /// The last cycle's timestamp, `nil` before the first.
    public var lastCycle: Timestamp?
    public var lastCycleMilliseconds: Int64?
    /// Cycles polled but not stored yet, because the store refuses writes (it is away, full, or
    /// locked by an import): kept in memory, bounded, and stored in order once it takes them.
    public var unstoredCycles = 0
    /// Why the store refused the last write, while cycles wait.
    public var storeError: String?
    public var intervalSeconds: Double
    public var tickers: [TickerStatus]
    public var upstreams: [UpstreamStatus]

    public init(intervalSeconds: Double, tickers: [TickerStatus], upstreams: [UpstreamStatus]) {
        self.intervalSeconds = intervalSeconds
        self.tickers = tickers
        self.upstreams = upstreams
    }
}
