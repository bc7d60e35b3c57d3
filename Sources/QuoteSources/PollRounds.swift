import MetricsCore

/// One cycle's asking: every ticker is asked of its first upstream, and a ticker an upstream fails
/// is asked of its next one in a further round of the same cycle. Each round has its share of what
/// is left of the budget, so that the last fallback still has time and the cycle ends in time
/// whatever the upstreams do. An upstream whose breaker is open is not asked; a quote older than
/// the plan allows is refused here, where the cycle's timestamp is known.
struct PollRounds: Sendable {
    /// What the rounds found: a quote and its upstream for each ticker served, and every failed
    /// attempt, in the order tried, also those a fallback made up for.
    struct Outcome: Sendable {
        var quotes: [Ticker: (quote: Quote, upstream: String)] = [:]
        var rejections: [Ticker: [(upstream: String, error: UpstreamError)]] = [:]
    }

    let upstreams: [String: any QuoteUpstream]
    let monitor: PollMonitor
    let maximumQuoteAge: Duration
    /// The poller's clock, for the breakers.
    let now: @Sendable () -> Timestamp
    let quoteCounters = CounterFamily(TelemetryLabel.quotes)
    /// Called when an upstream's breaker changes state, for the poller's log.
    let breakerChanged: @Sendable (_ upstream: String, _ state: CircuitBreaker.State) -> Void

    /// Asks for `markets` within `budget`, all quotes stamped with the cycle's `timestamp`. Ends
    /// early, with what it has, when the task is cancelled.
    func ask(_ markets: [PollPlan.Market], at timestamp: Timestamp, budget: Duration) async -> Outcome {
        let clock = ContinuousClock()
        let deadline = clock.now + budget
        var remaining = Dictionary(markets.map { ($0.ticker, $0.upstreams[...]) }) { first, _ in first }
        var outcome = Outcome()
        while !remaining.isEmpty, !Task.isCancelled {
            let roundsLeft = remaining.values.map(\.count).max()!
            let roundDeadline = clock.now + (deadline - clock.now) / roundsLeft
            var batches: [String: [Ticker]] = [:]
            for (ticker, order) in remaining { batches[order.first!, default: []].append(ticker) }
            let answers = await RequestDeadline.$current.withValue(roundDeadline) {
                await ask(batches, at: timestamp)
            }
            for (name, results) in answers {
                for ticker in batches[name]! {
                    switch results[ticker] ?? .failure(.malformedBody("\(name) gave no answer for \(ticker)")) {
                    case .success(let quote):
                        outcome.quotes[ticker] = (quote, name)
                        remaining[ticker] = nil
                    case .failure(let error):
                        outcome.rejections[ticker, default: []].append((name, error))
                        remaining[ticker]!.removeFirst()
                        if remaining[ticker]!.isEmpty { remaining[ticker] = nil }
                    }
                }
            }
        }
        return outcome
    }

    /// One round: each upstream gets its batch at once, unless its breaker is open.
    private func ask(_ batches: [String: [Ticker]], at timestamp: Timestamp) async -> [(String, [Ticker: Result<Quote, UpstreamError>])] {
        await withTaskGroup(of: (String, [Ticker: Result<Quote, UpstreamError>]).self) { group in
            for (name, tickers) in batches {
                let upstream = upstreams[name]!
                group.addTask {
                    if case .failure(let open) = monitor.admit(name, now: now()) {
                        return (name, Dictionary(uniqueKeysWithValues: tickers.map { ($0, .failure(open)) }))
                    }
                    var results = await upstream.quotes(for: Self.fairOrder(tickers, at: timestamp), at: timestamp)
                    for (ticker, result) in results {
                        if case .success(let quote) = result, let observed = quote.observedAt {
                            let age = Double(timestamp.microsecondsSince1970 - observed.microsecondsSince1970) / 1e6
                            if age > maximumQuoteAge.seconds {
                                results[ticker] = .failure(.staleQuote(ageSeconds: age, maximumSeconds: maximumQuoteAge.seconds))
                            }
                        }
                    }
                    if !Task.isCancelled {
                        let change = monitor.recordBatch(name, results: results, now: now())
                        if change.before != change.after { breakerChanged(name, change.after) }
                    }
                    count(results, from: name)
                    return (name, results)
                }
            }
            return await group.reduce(into: [(String, [Ticker: Result<Quote, UpstreamError>])]()) { $0.append($1) }
        }
    }

    /// The tickers sorted, then rotated by the cycle's second: an adapter that asks pair by pair
    /// goes in this order, so when its rate limit or the budget cannot cover every pair, a
    /// different tail misses out each cycle instead of the same pairs every time.
    static func fairOrder(_ tickers: [Ticker], at timestamp: Timestamp) -> [Ticker] {
        let sorted = tickers.sorted()
        guard sorted.count > 1 else { return sorted }
        let count = Int64(sorted.count)
        let offset = Int(((timestamp.microsecondsSince1970 / 1_000_000) % count + count) % count)
        return Array(sorted[offset...] + sorted[..<offset])
    }

    private func count(_ results: [Ticker: Result<Quote, UpstreamError>], from upstream: String) {
        var outcomes: [String: Int] = [:]
        for result in results.values {
            switch result {
            case .success: outcomes["ok", default: 0] += 1
            case .failure(let error): outcomes[error.kind, default: 0] += 1
            }
        }
        for (outcome, count) in outcomes {
            quoteCounters(("upstream", upstream), ("outcome", outcome)).increment(by: count)
        }
    }
}
