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

    public init(markets: [Market], metrics: [MetricType], interval: Duration) {
        self.markets = markets
        self.metrics = metrics
        self.interval = interval
    }

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
