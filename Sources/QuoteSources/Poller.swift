import Logging
import Metrics
import MetricsCore
import MetricsStore
import ServiceLifecycle

/// Polls the upstreams on a fixed-rate schedule (``PollSchedule``), stores one sample per metric
/// per cycle, and has the gaps in the history filled from candles (``Backfiller``) beside the
/// cycles.
///
/// All samples of a cycle carry the cycle's one timestamp, as in the original. How a cycle asks
/// (fallbacks, budgets, breakers, stale quotes) is ``PollRounds``' job; a cycle the store refuses
/// waits in a ``CycleBacklog``; where the gaps are is ``GapTracker``'s. A failing ticker is logged,
/// counted and skipped, the rest of the cycle is stored, and nothing is ever guessed. On graceful
/// shutdown the cycle in flight is abandoned: its requests are cancelled and nothing of it is stored.
///
/// The markets polled can change while it runs (``assign(_:)``), for pollers that share the
/// tickers of one database: a ticker taken over is checked for gaps before its first cycle.
public struct Poller: Service {
    /// The configuration, with the markets polled at start.
    public let plan: PollPlan
    let upstreams: [String: any QuoteUpstream]
    let store: any MetricStore
    let logger: Logger
    /// The wall clock that stamps samples and times the breakers' pauses; tests pass their own.
    let now: @Sendable () -> Timestamp
    /// Set when other pollers share the database: then only leased tickers are polled.
    let sharing: TickerSharing?
    /// Breakers and last results, for `GET /status`.
    public let monitor: PollMonitor
    private let assignment: MarketAssignment
    private let rounds: PollRounds
    private let gapTracker: GapTracker
    private let backfiller: Backfiller
    private let storedCounters = CounterFamily(TelemetryLabel.samplesStored)
    private let conflictCounter = Counter(label: TelemetryLabel.samplesConflicting)
    private let cycleTimer = Metrics.Timer(label: TelemetryLabel.cycleDuration, preferredDisplayUnit: .seconds)

    public init(
        plan: PollPlan,
        upstreams: [any QuoteUpstream],
        store: any MetricStore,
        logger: Logger,
        sharing: TickerSharing? = nil,
        now: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        let byName = Dictionary(upstreams.map { ($0.name, $0) }) { first, _ in first }
        Self.requireUpstreams(of: plan.markets, in: byName)
        self.plan = plan
        self.upstreams = byName
        self.store = store
        self.logger = logger
        self.now = now
        self.sharing = sharing
        let monitor = PollMonitor(plan: plan, upstreams: upstreams)
        self.monitor = monitor
        assignment = MarketAssignment(plan.markets)
        rounds = PollRounds(upstreams: byName, monitor: monitor, maximumQuoteAge: plan.maximumQuoteAge, now: now) { upstream, state in
            Self.logBreaker(upstream, state, logger: logger)
        }
        gapTracker = GapTracker(threshold: plan.gapThreshold)
        backfiller = Backfiller(upstreams: byName, store: store, metrics: plan.metrics, logger: logger)
    }

    /// The markets polled now.
    public var markets: [PollPlan.Market] { assignment.markets }

    /// Polls `markets` from the next cycle on, instead of those it polled. A ticker new to this
    /// poller is checked for gaps (and backfilled) before its first cycle; one it no longer polls
    /// leaves its status.
    public func assign(_ markets: [PollPlan.Market]) {
        Self.requireUpstreams(of: markets, in: upstreams)
        assignment.replace(with: markets)
        monitor.track(markets)
    }

    public func run() async throws {
        logStartup()
        let lastSlot = await cancelWhenGracefulShutdown {
            await registerMetrics()
            let (gaps, gapSink) = AsyncStream.makeStream(of: BackfillGap.self)
            return await withTaskGroup(of: Void.self) { group in
                // Backfills run beside the cycles, so that the first cycle is not held up by a
                // day of candles and a gap is filled while polling goes on.
                group.addTask { [assignment, backfiller] in
                    await backfiller.fill(gaps) { ticker in assignment.market(of: ticker) }
                }
                let lastSlot = await pollOnSchedule(gaps: gapSink)
                gapSink.finish()
                group.cancelAll()
                return lastSlot
            }
        }
        // Outside the cancelled part: the hand-over must reach the database.
        if let sharing, let lastSlot {
            do {
                try await sharing.release(after: lastSlot)
            } catch {
                logger.warning("could not hand the ticker leases over; other pollers take them when they expire: \(error)")
            }
        }
        logger.info("poller stopped")
    }

    /// Polls until cancelled; returns the last slot begun, when pollers share slots.
    private func pollOnSchedule(gaps gapSink: AsyncStream<BackfillGap>.Continuation) async -> Timestamp? {
        let clock = ContinuousClock()
        // Starts at the first cycle, after the first gap check: slots then fall on that instant.
        var schedule: PollSchedule?
        var slot = 0
        var backlog = CycleBacklog()
        defer {
            if !backlog.isEmpty {
                logger.error(
                    "stopping with \(backlog.cycles.count) cycle(s), \(backlog.sampleCount) samples, never stored: the store refused them until the end"
                )
            }
        }
        var slotTimestamp: Timestamp?
        if sharing != nil {
            // Pollers that share keep one grid of slots: start at the next whole interval.
            let wall = now()
            let first = wall.roundedDown(toMultipleOf: plan.interval).adding(seconds: plan.interval.seconds)
            do {
                try await clock.sleep(for: .microseconds(first.microsecondsSince1970 - wall.microsecondsSince1970))
            } catch {
                return nil
            }
            slotTimestamp = first
        }
        var lastSlot: Timestamp?
        var leasesLost = false
        var leasesRenewed = false
        while !Task.isCancelled {
            if let sharing, let slotTimestamp {
                let error = await share(sharing, slot: slotTimestamp)
                // Before its first renewal a poller holds nothing yet (it starts assigned every
                // ticker): polling them all would poll other pollers' tickers too.
                if error == nil {
                    leasesRenewed = true
                } else if !leasesRenewed {
                    assign([])
                }
                if let error, !leasesLost {
                    logger.warning(
                        "cannot renew the ticker leases, polling the \(markets.count) tickers held until they can be: \(error)",
                        metadata: ["poller": "\(sharing.holder.id)"])
                } else if error == nil, leasesLost {
                    logger.notice("the ticker leases are renewed again", metadata: ["poller": "\(sharing.holder.id)"])
                }
                leasesLost = error != nil
            }
            // Tickers new to this poller (all of them at start): their gaps first.
            var (markets, added) = assignment.take()
            if !added.isEmpty {
                if let gaps = await startupGaps(of: added) {
                    for gap in gaps { gapSink.yield(gap) }
                } else {
                    // Not polled until their gaps are known: a first sample would hide them.
                    assignment.returnAdded(added)
                    let waiting = Set(added)
                    markets.removeAll { waiting.contains($0.ticker) }
                }
            }
            let current = schedule ?? PollSchedule(start: clock.now, interval: plan.interval)
            schedule = current
            lastSlot = slotTimestamp
            let report = await pollOnce(markets, at: slotTimestamp)
            if Task.isCancelled { break }
            log(report)
            for gap in report.gaps { gapSink.yield(gap) }
            if let unstored = report.unstored {
                // The store was busy or unwritable (a long import holds SQLite's write lock):
                // keep the cycle and store it once the store takes writes again.
                if let dropped = backlog.keep(unstored, at: report.timestamp) {
                    logger.error(
                        "dropping the unstored cycle of \(dropped.timestamp): more than \(backlog.limit) are waiting for the store")
                }
            } else if !backlog.isEmpty {
                let stored = await backlog.store(into: store)
                if stored > 0 { logger.info("stored \(stored) cycle(s) that had waited for the store") }
            }
            monitor.recordBacklog(cycles: backlog.cycles.count, storeError: report.storeError)
            let next = current.nextSlot(after: slot, now: clock.now)
            if next.missed > 0 {
                logger.warning(
                    "poll cycle took longer than the interval; skipping \(next.missed) slot(s) so cycles never overlap",
                    metadata: ["interval_s": "\(plan.interval.seconds)", "cycle_ms": "\(report.duration.milliseconds)"]
                )
            }
            slot = next.slot
            slotTimestamp = slotTimestamp.map { $0.adding(seconds: plan.interval.seconds * Double(next.missed + 1)) }
            do {
                try await clock.sleep(until: next.instant)
            } catch {
                break
            }
        }
        return lastSlot
    }

    /// Runs one cycle of the markets polled now: ask, validate, store. Never throws: what failed is
    /// in the report.
    @discardableResult
    public func pollOnce() async -> CycleReport {
        await pollOnce(markets)
    }

    /// Renews this poller's leases and polls what it holds from this cycle on.
    ///
    /// When the leases cannot be read (the database is away), it goes on polling what it held, and
    /// its cycles wait in the backlog: no other poller can take a lease from a database nobody
    /// reaches. Should only this poller have lost the database, another takes its tickers once
    /// their leases run out, and both poll them a while; the slots' shared grid makes the second
    /// sample of a ticker in one slot a conflict the store ignores, never a duplicate.
    /// Returns the error when the leases could not be renewed.
    private func share(_ sharing: TickerSharing, slot: Timestamp) async -> (any Error)? {
        do {
            let held = try await sharing.share(of: plan.markets, slot: slot)
            guard held.map(\.ticker) != markets.map(\.ticker) else { return nil }
            logger.info("holding \(held.count) of \(plan.markets.count) tickers", metadata: ["poller": "\(sharing.holder.id)"])
            assign(held)
            return nil
        } catch {
            return error
        }
    }

    /// One cycle at `timestamp` (the slot's, when pollers share), or else now.
    private func pollOnce(_ markets: [PollPlan.Market], at slot: Timestamp? = nil) async -> CycleReport {
        let clock = ContinuousClock()
        let started = clock.now
        let timestamp = slot ?? now()
        let outcome = await rounds.ask(markets, at: timestamp, budget: plan.cycleBudget)
        if Task.isCancelled {
            return CycleReport(
                timestamp: timestamp, quotes: [:], rejections: [:], stored: 0, storeError: nil, unstored: nil, gaps: [],
                duration: clock.now - started)
        }

        var stored = 0
        var storeError: String?
        var unstored: [MetricKey: SampleValue]?
        if !outcome.quotes.isEmpty {
            var values: [MetricKey: SampleValue] = [:]
            for (ticker, served) in outcome.quotes {
                for type in plan.metrics {
                    values[MetricKey(ticker: ticker, type: type)] = SampleValue(
                        served.quote.value(of: type), from: .polled(from: served.upstream))
                }
            }
            do {
                stored = try await store.record(values, at: timestamp)
                storedCounters(("kind", "poll")).increment(by: stored)
                if stored < values.count {
                    conflictCounter.increment(by: values.count - stored)
                    logger.warning(
                        "\(values.count - stored) samples of the cycle at \(timestamp.rfc3339) were stored already (kept the first): another poller polled them in the same slot, or an import wrote them"
                    )
                }
            } catch {
                storeError = String(describing: error)
                unstored = values
            }
        }
        let duration = clock.now - started
        monitor.recordCycle(at: timestamp, duration: duration, served: outcome.quotes.mapValues(\.upstream), rejections: outcome.rejections)
        cycleTimer.recordNanoseconds(duration.nanoseconds)
        return CycleReport(
            timestamp: timestamp,
            quotes: outcome.quotes,
            rejections: outcome.rejections,
            stored: stored,
            storeError: storeError,
            unstored: unstored,
            gaps: gapTracker.served(outcome.quotes.keys, at: timestamp),
            duration: duration
        )
    }

    /// The gaps to fill for every market polled now, as at start: for tests and one-off runs.
    public func startupGaps() async -> [BackfillGap] {
        await startupGaps(of: markets.map(\.ticker)) ?? []
    }

    /// The gaps of `tickers` as a start finds them, from their newest stored samples; `nil` when
    /// the store cannot be read (to look again later).
    private func startupGaps(of tickers: [Ticker]) async -> [BackfillGap]? {
        let keys = tickers.flatMap { ticker in plan.metrics.map { MetricKey(ticker: ticker, type: $0) } }
        let latest: [MetricKey: Timestamp]
        do {
            latest = try await store.latestTimestamps(of: keys)
        } catch {
            logger.error("cannot read the store to decide on a backfill (will look again next cycle): \(error)")
            return nil
        }
        let newest = latest.reduce(into: [Ticker: Timestamp]()) { newest, entry in
            newest[entry.key.ticker] = max(newest[entry.key.ticker] ?? entry.value, entry.value)
        }
        return gapTracker.startupGaps(of: tickers, newest: newest, now: now())
    }

    /// Fills one gap from the candles of the ticker's upstreams; `nil` when every source failed,
    /// 0 when the ticker is not polled here or none of its upstreams has candles.
    @discardableResult
    public func backfill(_ gap: BackfillGap) async -> Int? {
        guard let market = assignment.market(of: gap.ticker) else { return 0 }
        return await backfiller.backfill(gap, from: market)
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

    private static func requireUpstreams(of markets: [PollPlan.Market], in upstreams: [String: any QuoteUpstream]) {
        for market in markets {
            for name in market.upstreams {
                precondition(upstreams[name] != nil, "no upstream named \(name) for \(market.ticker)")
            }
        }
    }

    // MARK: Logs

    private static func logBreaker(_ upstream: String, _ state: CircuitBreaker.State, logger: Logger) {
        switch state {
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

    private func logStartup() {
        let markets = self.markets
        let byUpstream = Dictionary(grouping: markets, by: { $0.upstreams[0] })
        logger.info(
            "polling \(markets.count * plan.metrics.count) metrics (\(plan.metrics.map(\.rawValue).joined(separator: ", "))) of \(markets.count) tickers every \(plan.interval.seconds.shortDescription)s"
        )
        for (name, markets) in byUpstream.sorted(by: { $0.key < $1.key }) {
            let tickers = markets.map(\.ticker.description).sorted().joined(separator: ", ")
            logger.info("from \(name) at \(upstreams[name]!.endpointDescription): \(tickers)", metadata: ["upstream": "\(name)"])
        }
        for market in markets where market.upstreams.count > 1 {
            logger.info(
                "\(market.ticker) falls back to \(market.upstreams.dropFirst().joined(separator: ", then "))",
                metadata: ["ticker": "\(market.ticker)"])
        }
    }

    private func log(_ report: CycleReport) {
        // One line per upstream and reason: a dead upstream is one line, not one per ticker. The
        // tickers are in the metadata too, for a log pipeline to filter on.
        var grouped: [String: (upstream: String, error: UpstreamError, tickers: [Ticker])] = [:]
        for (ticker, attempts) in report.rejections {
            for attempt in attempts {
                grouped["\(attempt.upstream)|\(attempt.error)", default: (attempt.upstream, attempt.error, [])].tickers.append(ticker)
            }
        }
        for (_, failure) in grouped.sorted(by: { $0.key < $1.key }) {
            let tickers = failure.tickers.sorted()
            let described = tickers.map { ticker in
                report.quotes[ticker].map { "\(ticker) (served by \($0.upstream))" } ?? ticker.description
            }.joined(separator: ", ")
            logger.warning(
                "no quote for \(described) from \(failure.upstream): \(failure.error)",
                metadata: [
                    "ticker": .array(tickers.map { .string($0.description) }), "upstream": "\(failure.upstream)",
                    "reason": "\(failure.error.kind)",
                ]
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
