import Metrics
import MetricsCore
import Synchronization

/// What the poller knows of its upstreams' health and its tickers' last results: each upstream's
/// circuit breaker, and per ticker the last success and the last error. The poller consults it
/// before each batch; `GET /status` reads a snapshot of it.
public final class PollMonitor: Sendable {
    private struct State {
        var breakers: [String: CircuitBreaker]
        var tickers: [Ticker: PollStatus.TickerStatus]
        /// Up to when each ticker's history is complete or being filled: a gap starts here.
        var coveredThrough: [Ticker: Timestamp] = [:]
        var lastCycle: Timestamp?
        var lastCycleMilliseconds: Int64?
    }

    private let state: Mutex<State>
    private let order: [Ticker]
    private let endpoints: [String: String]
    private let interval: Duration

    public init(plan: PollPlan, upstreams: [any QuoteUpstream], breaker: CircuitBreaker.Configuration) {
        let names = Set(plan.markets.flatMap(\.upstreams))
        state = Mutex(
            State(
                breakers: Dictionary(uniqueKeysWithValues: names.map { ($0, CircuitBreaker(configuration: breaker)) }),
                tickers: Dictionary(
                    uniqueKeysWithValues: plan.markets.map {
                        ($0.ticker, PollStatus.TickerStatus(ticker: $0.ticker, upstreams: $0.upstreams))
                    })
            ))
        order = plan.markets.map(\.ticker)
        endpoints = Dictionary(upstreams.map { ($0.name, $0.endpointDescription) }) { first, _ in first }
        interval = plan.interval
        for name in names { Self.breakerGauge(name).record(0) }
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
            Self.breakerGauge(upstream).record(change.1 == .closed ? 0 : change.1 == .halfOpen ? 1 : 2)
        }
        return change
    }

    /// Records a cycle's per-ticker results (`rejections` holds every failed attempt, also those a
    /// fallback made up for) and returns, for each ticker served, up to when its
    /// history was covered before this cycle: the poller looks for gaps to backfill in it.
    func recordCycle(
        at timestamp: Timestamp, duration: Duration,
        served: [Ticker: String], rejections: [Ticker: [(upstream: String, error: UpstreamError)]]
    ) -> [Ticker: Timestamp?] {
        state.withLock { state in
            state.lastCycle = timestamp
            state.lastCycleMilliseconds = duration.milliseconds
            var previous: [Ticker: Timestamp?] = [:]
            for (ticker, upstream) in served {
                previous[ticker] = state.coveredThrough[ticker]
                state.coveredThrough[ticker] = timestamp
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
            return previous
        }
    }

    /// Marks tickers' history as complete (or being filled) up to these instants, so that the
    /// first cycles after start do not report the gap the startup backfill is filling.
    func seedCoverage(_ covered: [Ticker: Timestamp]) {
        state.withLock { state in
            state.coveredThrough.merge(covered) { old, new in max(old, new) }
        }
    }

    /// The status as `GET /status` shows it.
    public func snapshot() -> PollStatus {
        return state.withLock { state in
            var status = PollStatus(
                intervalSeconds: interval.seconds,
                tickers: order.compactMap { state.tickers[$0] },
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
            return status
        }
    }

    private static func breakerGauge(_ upstream: String) -> Gauge {
        Gauge(label: "cryptometrics_upstream_breaker_state", dimensions: [("upstream", upstream)])
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
