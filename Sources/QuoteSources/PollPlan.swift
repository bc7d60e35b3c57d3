import MetricsCore

/// What the poller polls: which tickers, from which upstreams in which order, which metrics, and how
/// often. Built once from configuration; the poller never changes it.
public struct PollPlan: Sendable {
    /// A ticker and the upstreams that can serve it, first choice first: when the first fails for
    /// this ticker, the next serves it in the same cycle.
    public struct Market: Hashable, Sendable {
        public let ticker: Ticker
        public let upstreams: [String]

        public init(ticker: Ticker, upstreams: [String]) {
            precondition(!upstreams.isEmpty, "a market needs at least one upstream")
            self.ticker = ticker
            self.upstreams = upstreams
        }
    }

    public let markets: [Market]
    public let metrics: [MetricType]
    public let interval: Duration
    /// A quote whose exchange timestamp is older than this is refused as stale.
    public let maximumQuoteAge: Duration
    /// When an upstream's breaker opens, and for how long.
    public let breaker: CircuitBreaker.Configuration

    public init(
        markets: [Market],
        metrics: [MetricType],
        interval: Duration,
        maximumQuoteAge: Duration = .seconds(600),
        breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration()
    ) {
        self.markets = markets
        self.metrics = metrics
        self.interval = interval
        self.maximumQuoteAge = maximumQuoteAge
        self.breaker = breaker
    }

    /// How long a cycle's requests may take, retries and fallbacks included: most of the interval,
    /// leaving the rest for storing, so that a cycle ends before the next one is due.
    public var cycleBudget: Duration { interval * 0.8 }

    /// A ticker unserved for longer than this has a gap that the backfill fills from candles: two
    /// intervals, and at least a minute, the finest candle any exchange keeps; a shorter gap holds
    /// at most one candle's close, not worth a day of candles to place it.
    public var gapThreshold: Duration { max(interval * 2, .seconds(60)) }

    /// Every metric the plan stores.
    public var metricKeys: [MetricKey] {
        markets.flatMap { market in metrics.map { MetricKey(ticker: market.ticker, type: $0) } }
    }
}

/// Fixed-rate timing: cycle k starts at `start + k × interval`, whatever the previous cycles took,
/// so that samples do not drift. A cycle that overruns its slot skips the slots it missed rather
/// than starting cycles back to back, so cycles never overlap.
public struct PollSchedule: Sendable {
    public let start: ContinuousClock.Instant
    public let interval: Duration

    public init(start: ContinuousClock.Instant, interval: Duration) {
        self.start = start
        self.interval = interval
    }

    /// The first slot strictly after `now`, and how many slots were missed since the one after
    /// `completedSlot`.
    public func nextSlot(after completedSlot: Int, now: ContinuousClock.Instant) -> (
        slot: Int, instant: ContinuousClock.Instant, missed: Int
    ) {
        let elapsed = now - start
        let due = Int((elapsed / interval).rounded(.down)) + 1
        let slot = max(completedSlot + 1, due)
        return (slot, start + interval * slot, slot - completedSlot - 1)
    }
}
