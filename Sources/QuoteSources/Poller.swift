import Logging
import Metrics
import MetricsCore
import MetricsStore
import ServiceLifecycle

/// Polls the upstreams on a fixed-rate schedule and stores one sample per metric per cycle, and
/// fills gaps in the history from the exchanges' candles.
///
/// All samples of a cycle carry the cycle's one timestamp, as in the original. Upstreams are asked
/// concurrently, each with one batch for all its tickers; a ticker whose upstream fails is asked of
/// its next upstream in the same cycle. Every round of asking has its share of the cycle's budget,
/// so a cycle ends before the next is due, whatever the upstreams do. An upstream whose breaker is
/// open is not asked at all. A failing ticker is logged, counted and skipped, the rest of the cycle
/// is stored, and nothing is ever guessed. On graceful shutdown the cycle in flight is abandoned:
/// its requests are cancelled and nothing of it is stored.
public struct Poller<Store: MetricStore>: Service {
    public let plan: PollPlan
    let upstreams: [String: any QuoteUpstream]
    let store: Store
    let logger: Logger
    /// The wall clock that stamps samples and times the breakers' pauses; tests pass their own.
    let now: @Sendable () -> Timestamp
    /// Breakers and last results, for `GET /status`.
    public let monitor: PollMonitor

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
        self.monitor = PollMonitor(plan: plan, upstreams: upstreams, breaker: plan.breaker)
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
            let (gaps, gapSink) = AsyncStream.makeStream(of: BackfillGap.self)
            await withTaskGroup(of: Void.self) { group in
                // Backfills run beside the cycles, so that the first cycle is not held up by a
                // day of candles and a gap is filled while polling goes on.
                group.addTask { await fill(gaps) }
                for gap in await startupGaps() { gapSink.yield(gap) }
                await pollOnSchedule(gaps: gapSink)
                gapSink.finish()
                group.cancelAll()
            }
        }
        logger.info("poller stopped")
    }

    private func pollOnSchedule(gaps: AsyncStream<BackfillGap>.Continuation) async {
        let clock = ContinuousClock()
        let schedule = PollSchedule(start: clock.now, interval: plan.interval)
        var slot = 0
        var backlog: [(Timestamp, [MetricKey: SampleValue])] = []
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
            for gap in report.gaps { gaps.yield(gap) }
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

    /// Cycles kept in memory while the store refuses writes, at most.
    static var backlogLimit: Int { 1_000 }

    /// Stores cycles that could not be stored when they ran; returns those that still cannot.
    private func storeBacklog(_ backlog: [(Timestamp, [MetricKey: SampleValue])]) async -> [(Timestamp, [MetricKey: SampleValue])] {
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
        let deadline = started + plan.cycleBudget
        let timestamp = now()
        var remaining = Dictionary(uniqueKeysWithValues: plan.markets.map { ($0.ticker, $0.upstreams[...]) })
        var quotes: [Ticker: (quote: Quote, upstream: String)] = [:]
        var rejections: [Ticker: [(upstream: String, error: UpstreamError)]] = [:]

        // Each round asks every ticker's next upstream; fallbacks make further rounds. A round may
        // use its share of what is left of the budget, so that the last fallback still has time.
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
                        quotes[ticker] = (quote, name)
                        remaining[ticker] = nil
                    case .failure(let error):
                        rejections[ticker, default: []].append((name, error))
                        remaining[ticker]!.removeFirst()
                        if remaining[ticker]!.isEmpty { remaining[ticker] = nil }
                    }
                }
            }
        }
        if Task.isCancelled {
            return CycleReport(
                timestamp: timestamp, quotes: [:], rejections: [:], stored: 0, storeError: nil, unstored: nil, gaps: [],
                duration: clock.now - started)
        }

        var stored = 0
        var storeError: String?
        var unstored: [MetricKey: SampleValue]?
        if !quotes.isEmpty {
            var values: [MetricKey: SampleValue] = [:]
            for (ticker, served) in quotes {
                for type in plan.metrics {
                    values[MetricKey(ticker: ticker, type: type)] = SampleValue(
                        served.quote.value(of: type), from: .polled(from: served.upstream))
                }
            }
            do {
                stored = try await store.record(values, at: timestamp)
                Counter(label: "cryptometrics_samples_stored_total", dimensions: [("kind", "poll")]).increment(by: stored)
            } catch {
                storeError = String(describing: error)
                unstored = values
            }
        }
        let duration = clock.now - started
        let previous = monitor.recordCycle(
            at: timestamp, duration: duration, served: quotes.mapValues(\.upstream), rejections: rejections)
        var gaps: [BackfillGap] = []
        for (ticker, last) in previous {
            guard let last, last < timestamp, timestamp.microsecondsSince1970 - last.microsecondsSince1970 > plan.gapThreshold.microseconds
            else { continue }
            gaps.append(BackfillGap(ticker: ticker, range: TimeRange(from: last, through: timestamp)))
        }
        cycleTimer.recordNanoseconds(Int64(duration.seconds * 1e9))
        return CycleReport(
            timestamp: timestamp,
            quotes: quotes,
            rejections: rejections,
            stored: stored,
            storeError: storeError,
            unstored: unstored,
            gaps: gaps.sorted { $0.ticker < $1.ticker },
            duration: duration
        )
    }

    /// One round: each upstream gets its batch at once, unless its breaker is open; stale quotes
    /// are refused here, where the cycle's timestamp is known.
    private func ask(
        _ batches: [String: [Ticker]], at timestamp: Timestamp
    ) async -> [(String, [Ticker: Result<Quote, UpstreamError>])] {
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
                            if age > plan.maximumQuoteAge.seconds {
                                results[ticker] = .failure(.staleQuote(ageSeconds: age, maximumSeconds: plan.maximumQuoteAge.seconds))
                            }
                        }
                    }
                    if !Task.isCancelled {
                        let change = monitor.recordBatch(name, results: results, now: now())
                        logBreaker(name, change)
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

    private var cycleTimer: Metrics.Timer {
        Metrics.Timer(label: "cryptometrics_poll_cycle_duration_seconds", preferredDisplayUnit: .seconds)
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
            Counter(label: "cryptometrics_quotes_total", dimensions: [("upstream", upstream), ("outcome", outcome)]).increment(by: count)
        }
    }

    private func logBreaker(_ upstream: String, _ change: (before: CircuitBreaker.State, after: CircuitBreaker.State)) {
        guard change.before != change.after else { return }
        switch change.after {
        case .open:
            logger.warning(
                "circuit breaker for \(upstream) opened after repeated failures; its tickers go to their fallbacks until a probe succeeds",
                metadata: ["upstream": "\(upstream)"])
        case .closed:
            logger.notice("circuit breaker for \(upstream) closed: the upstream answers again", metadata: ["upstream": "\(upstream)"])
        case .halfOpen:
            break
        }
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

    // MARK: Logs

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
        for (ticker, attempts) in report.rejections {
            for attempt in attempts {
                grouped["\(attempt.upstream)|\(attempt.error)", default: (attempt.upstream, attempt.error, [])].tickers.append(ticker)
            }
        }
        for (_, failure) in grouped.sorted(by: { $0.key < $1.key }) {
            let tickers = failure.tickers.sorted().map { ticker in
                report.quotes[ticker].map { "\(ticker) (served by \($0.upstream))" } ?? ticker.description
            }.joined(separator: ", ")
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
