import Logging
import MetricsCore
import MetricsStore
import ServiceLifecycle

/// Polls the upstreams on a fixed-rate schedule and stores one sample per metric per cycle.
///
/// All samples of a cycle carry the cycle's one timestamp, as in the original. Upstreams are asked
/// concurrently, each with one batch for all its tickers; a ticker whose upstream fails is asked of
/// its next upstream in the same cycle. A failing ticker is logged and skipped, the rest of the cycle
/// is stored, and nothing is ever guessed. On graceful shutdown the cycle in flight is abandoned: its
/// requests are cancelled and nothing of it is stored.
public struct Poller<Store: MetricStore>: Service {
    public let plan: PollPlan
    let upstreams: [String: any QuoteUpstream]
    let store: Store
    let logger: Logger
    /// The wall clock that stamps samples; tests pass their own.
    let now: @Sendable () -> Timestamp

    public init(
        plan: PollPlan,
        upstreams: [any QuoteUpstream],
        store: Store,
        logger: Logger,
        now: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        self.plan = plan
        self.upstreams = Dictionary(upstreams.map { ($0.name, $0) }) { first, _ in first }
        self.store = store
        self.logger = logger
        self.now = now
        for market in plan.markets {
            for name in market.upstreams {
                precondition(self.upstreams[name] != nil, "no upstream named \(name) for \(market.ticker)")
            }
        }
    }

    public func run() async throws {
        logStartup()
        await cancelWhenGracefulShutdown {
            await registerMetrics()
            await backfillHistory()
            let clock = ContinuousClock()
            let schedule = PollSchedule(start: clock.now, interval: plan.interval)
            var slot = 0
            var backlog: [(Timestamp, [MetricKey: Double])] = []
            defer {
                if !backlog.isEmpty {
                    let samples = backlog.reduce(0) { $0 + $1.1.count }
                    logger.error(
                        "stopping with \(backlog.count) cycle(s), \(samples) samples, never stored: the store refused them until the end")
                }
            }
            while !Task.isCancelled {
                let report = await pollOnce()
                if Task.isCancelled { break }
                log(report)
                if let unstored = report.unstored {
                    // The store was busy or unwritable (a long import holds SQLite's write lock):
                    // keep the cycle and store it once the store takes writes again.
                    backlog.append((report.timestamp, unstored))
                    if backlog.count > Self.backlogLimit {
                        backlog.removeFirst()
                        logger.error("dropping the oldest unstored cycle: more than \(Self.backlogLimit) are waiting for the store")
                    }
                } else if !backlog.isEmpty {
                    backlog = await storeBacklog(backlog)
                }
                let next = schedule.nextSlot(after: slot, now: clock.now)
                if next.missed > 0 {
                    logger.warning(
                        "poll cycle took longer than the interval; skipping \(next.missed) slot(s) so cycles never overlap",
                        metadata: ["interval_s": "\(plan.interval.seconds)", "cycle_ms": "\(report.duration.milliseconds)"]
                    )
                }
                slot = next.slot
                do {
                    try await clock.sleep(until: next.instant)
                } catch {
                    break
                }
            }
        }
        logger.info("poller stopped")
    }

    /// Cycles kept in memory while the store refuses writes, at most.
    static var backlogLimit: Int { 1_000 }

    /// Stores cycles that could not be stored when they ran; returns those that still cannot.
    private func storeBacklog(_ backlog: [(Timestamp, [MetricKey: Double])]) async -> [(Timestamp, [MetricKey: Double])] {
        for (index, (timestamp, values)) in backlog.enumerated() {
            do {
                try await store.record(values, at: timestamp)
            } catch {
                return Array(backlog[index...])
            }
        }
        logger.info("stored \(backlog.count) cycle(s) that had waited for the store")
        return []
    }

    /// Runs one cycle now: ask, validate, store. Never throws: what failed is in the report.
    @discardableResult
    public func pollOnce() async -> CycleReport {
        let clock = ContinuousClock()
        let started = clock.now
        let timestamp = now()
        var remaining = Dictionary(uniqueKeysWithValues: plan.markets.map { ($0.ticker, $0.upstreams[...]) })
        var quotes: [Ticker: (quote: Quote, upstream: String)] = [:]
        var failures: [Ticker: [(upstream: String, error: UpstreamError)]] = [:]

        // Each round asks every ticker's next upstream; fallbacks make further rounds.
        while !remaining.isEmpty, !Task.isCancelled {
            var batches: [String: [Ticker]] = [:]
            for (ticker, order) in remaining { batches[order.first!, default: []].append(ticker) }
            let answers = await withTaskGroup(of: (String, [Ticker: Result<Quote, UpstreamError>]).self) { group in
                for (name, tickers) in batches {
                    let upstream = upstreams[name]!
                    group.addTask { (name, await upstream.quotes(for: tickers.sorted(), at: timestamp)) }
                }
                return await group.reduce(into: [(String, [Ticker: Result<Quote, UpstreamError>])]()) { $0.append($1) }
            }
            for (name, results) in answers {
                for ticker in batches[name]! {
                    switch results[ticker] ?? .failure(.malformedBody("\(name) gave no answer for \(ticker)")) {
                    case .success(let quote):
                        quotes[ticker] = (quote, name)
                        remaining[ticker] = nil
                    case .failure(let error):
                        failures[ticker, default: []].append((name, error))
                        remaining[ticker]!.removeFirst()
                        if remaining[ticker]!.isEmpty { remaining[ticker] = nil }
                    }
                }
            }
        }
        for ticker in quotes.keys { failures[ticker] = nil }

        var stored = 0
        var storeError: String?
        var unstored: [MetricKey: Double]?
        if !Task.isCancelled, !quotes.isEmpty {
            var values: [MetricKey: Double] = [:]
            for (ticker, served) in quotes {
                for type in plan.metrics { values[MetricKey(ticker: ticker, type: type)] = served.quote.value(of: type) }
            }
            do {
                stored = try await store.record(values, at: timestamp)
            } catch {
                storeError = String(describing: error)
                unstored = values
            }
        }
        return CycleReport(
            timestamp: timestamp,
            quotes: quotes,
            failures: failures,
            stored: stored,
            storeError: storeError,
            unstored: unstored,
            duration: clock.now - started
        )
    }

    /// Creates the plan's metrics in the plan's order, so that ids follow the configuration
    /// (KRAKEN:BTCUSD price is 1 with the default markets), even for a market whose first cycle fails.
    public func registerMetrics() async {
        do {
            _ = try await store.metrics(for: plan.metricKeys)
        } catch {
            logger.error("cannot register the metrics in the store: \(error)")
        }
    }

    /// Lays down the past 24 hours from upstreams that know their history, after the last sample
    /// each market has, so that a first start has a chart to show at once and a restart fills the
    /// time it was down.
    public func backfillHistory() async {
        // Rewritten next: candle backfill.
    }

    private func logStartup() {
        let byUpstream = Dictionary(grouping: plan.markets, by: { $0.upstreams[0] })
        logger.info(
            "polling \(plan.metricKeys.count) metrics (\(plan.metrics.map(\.rawValue).joined(separator: ", "))) of \(plan.markets.count) tickers every \(plan.interval.seconds.shortDescription)s"
        )
        for (name, markets) in byUpstream.sorted(by: { $0.key < $1.key }) {
            let tickers = markets.map(\.ticker.description).sorted().joined(separator: ", ")
            logger.info("from \(name) at \(upstreams[name]!.endpointDescription): \(tickers)")
        }
        let fallbacks = plan.markets.filter { $0.upstreams.count > 1 }
        for market in fallbacks {
            logger.info("\(market.ticker) falls back to \(market.upstreams.dropFirst().joined(separator: ", then "))")
        }
    }

    private func log(_ report: CycleReport) {
        // One line per upstream and reason: a dead upstream is one line, not one per ticker.
        var grouped: [String: (upstream: String, error: UpstreamError, tickers: [Ticker])] = [:]
        for (ticker, attempts) in report.failures {
            for attempt in attempts {
                grouped["\(attempt.upstream)|\(attempt.error)", default: (attempt.upstream, attempt.error, [])].tickers.append(ticker)
            }
        }
        for (_, failure) in grouped.sorted(by: { $0.key < $1.key }) {
            let tickers = failure.tickers.sorted().map(\.description).joined(separator: ", ")
            logger.warning(
                "no quote for \(tickers) from \(failure.upstream): \(failure.error)",
                metadata: ["reason": "\(failure.error.kind)", "upstream": "\(failure.upstream)"]
            )
        }
        if let storeError = report.storeError {
            logger.error("could not store the cycle's samples yet (kept to store later): \(storeError)")
        }
        logger.info(
            "cycle \(report.timestamp.rfc3339): stored \(report.stored) samples, \(report.quotes.count) tickers ok, \(report.failures.count) failed, \(report.duration.milliseconds) ms"
        )
        if report.nothingAnswered {
            logger.error(
                "no upstream answered for any ticker. If this machine has no internet access, run with --source simulated for an offline demo."
            )
        }
    }
}
