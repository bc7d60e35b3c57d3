import Metrics
import MetricsCore
import Synchronization

/// What the poller knows of its upstreams' health and its tickers' last results: each upstream's
/// circuit breaker, and per ticker the last success and the last error. The poller consults it
/// before each batch; `GET /status` reads a snapshot of it.
public final class PollMonitor: Sendable {
    private struct State {
        var breakers: [String: CircuitBreaker] = [:]
        var tickers: [Ticker: PollStatus.TickerStatus] = [:]
        /// The tickers polled, in the plan's order, for the status.
        var order: [Ticker] = []
        var lastCycle: Timestamp?
        var lastCycleMilliseconds: Int64?
        var unstoredCycles = 0
        var storeError: String?
    }

    private let state = Mutex(State())
    private let breaker: CircuitBreaker.Configuration
    private let endpoints: [String: String]
    private let interval: Duration
    private let breakerGauges: [String: Gauge]

    public init(plan: PollPlan, upstreams: [any QuoteUpstream]) {
        breaker = plan.breaker
        endpoints = Dictionary(upstreams.map { ($0.name, $0.endpointDescription) }) { first, _ in first }
        interval = plan.interval
        breakerGauges = Dictionary(
            upstreams.map { ($0.name, Gauge(label: TelemetryLabel.breakerState, dimensions: [("upstream", $0.name)])) }
        ) { first, _ in first }
        track(plan.markets)
    }

    /// Follows the markets polled, at start and whenever they change: tickers no longer polled
    /// leave the status, new ones join it with no history yet, and every upstream they name has a
    /// breaker (kept, with its state, for as long as the process runs).
    func track(_ markets: [PollPlan.Market]) {
        let added = state.withLock { state -> [String] in
            var tickers: [Ticker: PollStatus.TickerStatus] = [:]
            var added: [String] = []
            for market in markets {
                tickers[market.ticker] =
                    state.tickers[market.ticker] ?? PollStatus.TickerStatus(ticker: market.ticker, upstreams: market.upstreams)
                for name in market.upstreams where state.breakers[name] == nil {
                    state.breakers[name] = CircuitBreaker(configuration: breaker)
                    added.append(name)
                }
            }
            state.tickers = tickers
            state.order = markets.map(\.ticker)
            return added
        }
        for name in added { breakerGauges[name]?.record(0) }
    }

    /// Whether `upstream` may be asked now, or how long until its breaker's probe.
    func admit(_ upstream: String, now: Timestamp) -> Result<Void, UpstreamError> {
        state.withLock { state in
            guard var breaker = state.breakers[upstream] else { return .success(()) }
            defer { state.breakers[upstream] = breaker }
            if breaker.allowsRequest(now: now) { return .success(()) }
            let wait = Double((breaker.probeAt ?? now).microsecondsSince1970 - now.microsecondsSince1970) / 1e6
            return .failure(.circuitOpen(probeInSeconds: max(0, wait)))
        }
    }

    /// Records one batch's outcome for `upstream`'s breaker: a success when the upstream answered
    /// at all (a quote, or a market's own problem such as an unknown pair), a failure when it
    /// served none of the tickers for reasons of its own, and nothing when it was not asked (the
    /// rate limit or the budget left no room). Returns the breaker's state before and after, so
    /// that the poller can log a change.
    func recordBatch(
        _ upstream: String, results: [Ticker: Result<Quote, UpstreamError>], now: Timestamp
    ) -> (before: CircuitBreaker.State, after: CircuitBreaker.State) {
        var answered = false
        var failed = false
        for result in results.values {
            switch BatchEvidence(result) {
            case .answered: answered = true
            case .upstreamUnwell: failed = true
            case .notAsked: break
            }
        }
        let change = state.withLock { state -> (CircuitBreaker.State, CircuitBreaker.State) in
            guard var breaker = state.breakers[upstream] else { return (.closed, .closed) }
            let before = breaker.state
            if answered {
                breaker.recordSuccess()
            } else if failed {
                breaker.recordFailure(now: now)
            }
            state.breakers[upstream] = breaker
            return (before, breaker.state)
        }
        if change.0 != change.1 {
            breakerGauges[upstream]?.record(change.1 == .closed ? 0 : change.1 == .halfOpen ? 1 : 2)
        }
        return change
    }

    /// Records a cycle's per-ticker results (`rejections` holds every failed attempt, also those a
    /// fallback made up for).
    func recordCycle(
        at timestamp: Timestamp, duration: Duration,
        served: [Ticker: String], rejections: [Ticker: [(upstream: String, error: UpstreamError)]]
    ) {
        state.withLock { state in
            state.lastCycle = timestamp
            state.lastCycleMilliseconds = duration.milliseconds
            for (ticker, upstream) in served {
                state.tickers[ticker]?.lastSuccess = timestamp
                state.tickers[ticker]?.lastUpstream = upstream
                state.tickers[ticker]?.consecutiveFailures = 0
            }
            for (ticker, attempts) in rejections {
                guard let last = attempts.last else { continue }
                state.tickers[ticker]?.lastError = PollStatus.Failure(
                    at: timestamp, upstream: last.upstream, kind: last.error.kind, reason: last.error.description)
                if served[ticker] == nil { state.tickers[ticker]?.consecutiveFailures += 1 }
            }
        }
    }

    /// The status as `GET /status` shows it.
    /// Records the cycles waiting for the store after a cycle, and why the store refused the
    /// last write (nil once none wait).
    func recordBacklog(cycles: Int, storeError: String?) {
        state.withLock { state in
            state.unstoredCycles = cycles
            state.storeError = cycles > 0 ? storeError ?? state.storeError : nil
        }
    }

    public func snapshot() -> PollStatus {
        state.withLock { state in
            var status = PollStatus(
                intervalSeconds: interval.seconds,
                tickers: state.order.compactMap { state.tickers[$0] },
                upstreams: state.breakers.keys.sorted().map { name in
                    let breaker = state.breakers[name]!
                    return PollStatus.UpstreamStatus(
                        name: name,
                        endpoint: endpoints[name] ?? name,
                        breaker: breaker.state.rawValue,
                        consecutiveFailures: breaker.consecutiveFailures,
                        probeAt: breaker.state == .open ? breaker.probeAt : nil
                    )
                }
            )
            status.lastCycle = state.lastCycle
            status.lastCycleMilliseconds = state.lastCycleMilliseconds
            status.unstoredCycles = state.unstoredCycles
            status.storeError = state.storeError
            return status
        }
    }
}

/// What one ticker's result in a batch says about the upstream's health, for its breaker.
enum BatchEvidence {
    /// The upstream answered: a quote, or a market's own problem (an unknown pair, a bad value,
    /// another pair, a stale quote).
    case answered
    /// The upstream itself is unwell: it timed out, refused, answered 5xx, 429 or garbage.
    case upstreamUnwell
    /// The upstream was not asked (its breaker, our rate limit, the budget, shutdown).
    case notAsked

    init(_ result: Result<Quote, UpstreamError>) {
        guard case .failure(let error) = result else {
            self = .answered
            return
        }
        switch error {
        case .timedOut, .unreachable, .httpStatus, .malformedBody, .rateLimited, .exchangeError: self = .upstreamUnwell
        case .unknownPair, .invalidValue, .wrongPair, .staleQuote: self = .answered
        case .circuitOpen, .notSent, .cancelled: self = .notAsked
        }
    }
}
