import Logging
import Metrics
import MetricsCore
import MetricsStore

/// Filling history from candles: the last 24 hours at start, and the gaps a ticker leaves when it
/// goes unserved for longer than ``PollPlan/gapThreshold``. Runs beside the cycles (see
/// ``Poller/run()``).
extension Poller {
    /// The gaps to fill at start: the past 24 hours of a ticker with no samples, or the time since
    /// its last sample when that is longer than the gap threshold (the service was down).
    public func startupGaps() async -> [BackfillGap] {
        let now = now()
        // Just over a day, so that a candle closing exactly 24 hours ago is in.
        let dayAgo = now.adding(seconds: -CandleBackfill.volumeWindowSeconds - 1e-6)
        let latest: [MetricKey: Timestamp]
        do {
            latest = try await store.latestTimestamps(of: plan.metricKeys)
        } catch {
            logger.error("cannot read the store to decide on a backfill: \(error)")
            return []
        }
        var gaps: [BackfillGap] = []
        var covered: [Ticker: Timestamp] = [:]
        for market in plan.markets {
            let newest = plan.metrics.compactMap { latest[MetricKey(ticker: market.ticker, type: $0)] }.max()
            // The cycles take over from now: the first one must not find this gap again.
            covered[market.ticker] = now
            if let newest, now.microsecondsSince1970 - newest.microsecondsSince1970 <= plan.gapThreshold.microseconds { continue }
            let from = max(newest ?? dayAgo, dayAgo)
            guard from < now else { continue }
            gaps.append(BackfillGap(ticker: market.ticker, range: TimeRange(from: from, through: now)))
        }
        monitor.seedCoverage(covered)
        return gaps
    }

    /// Fills the startup gaps and waits for it: for tests and one-off runs.
    public func backfillHistory() async {
        for gap in await startupGaps() { await backfill(gap) }
    }

    /// Fills gaps as they come, a few at a time (the pacer keeps each exchange within its limit).
    /// A gap whose backfill failed (the exchange or the store refused) is tried again later, a
    /// few times, rather than left empty for good.
    func fill(_ gaps: AsyncStream<BackfillGap>) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await gap in gaps {
                if running >= Self.concurrentBackfills {
                    await group.next()
                    running -= 1
                }
                group.addTask {
                    for attempt in 0...Self.backfillRetries {
                        if attempt > 0 {
                            do { try await Task.sleep(for: .seconds(60 * attempt)) } catch { return }
                            logger.info("trying the backfill of \(gap.ticker) again (\(attempt) of \(Self.backfillRetries))")
                        }
                        if await backfill(gap) != nil { return }
                    }
                }
                running += 1
            }
        }
    }

    /// Later attempts at a failed backfill, a minute apart, then two, then three.
    static var backfillRetries: Int { 3 }

    static var concurrentBackfills: Int { 4 }

    /// Fills one gap from the first of the ticker's upstreams that has candles: the candles that
    /// closed inside the gap become samples marked as backfilled, beside (never over) polled ones.
    /// Returns the samples stored, or `nil` when every source failed (worth another try later).
    @discardableResult
    public func backfill(_ gap: BackfillGap) async -> Int? {
        guard let market = plan.markets.first(where: { $0.ticker == gap.ticker }) else { return 0 }
        let sources = market.upstreams.compactMap { upstreams[$0] as? any CandleUpstream }
        guard !sources.isEmpty else {
            logger.notice(
                "no backfill for \(gap.ticker): \(market.upstreams.joined(separator: ", ")) offers no candles; its chart starts at its first poll"
            )
            return 0
        }
        for source in sources where !Task.isCancelled {
            do throws(UpstreamError) {
                let candles = try await source.candles(for: gap.ticker, closingIn: CandleBackfill.candleRange(filling: gap.range))
                let points = CandleBackfill.points(from: candles, filling: gap.range)
                let origin = SampleOrigin.backfilled(from: source.name)
                var rows: [SampleRow] = []
                rows.reserveCapacity(points.count * plan.metrics.count)
                for point in points {
                    for type in plan.metrics {
                        guard let value = type == .price ? point.price : point.volume else { continue }
                        rows.append(
                            SampleRow(
                                key: MetricKey(ticker: gap.ticker, type: type), timestamp: point.timestamp, value: value, origin: origin))
                    }
                }
                let summary: ImportSummary
                do {
                    summary = try await store.importSamples(rows)
                } catch {
                    logger.error("could not store the backfill of \(gap.ticker) from \(source.name): \(error)")
                    return nil
                }
                Counter(label: "cryptometrics_samples_stored_total", dimensions: [("kind", "backfill")]).increment(by: summary.inserted)
                let withoutVolume = points.filter { $0.volume == nil }.count
                let note =
                    withoutVolume > 0 && plan.metrics.contains(.volume)
                    ? "; \(withoutVolume) without volume, where \(source.name)'s candles do not reach a full day back" : ""
                logger.info(
                    "backfilled \(gap.ticker) from \(source.name)'s candles over \(gap.range): \(points.count) points, \(summary.inserted) samples stored\(note)"
                )
                return summary.inserted
            } catch {
                logger.warning("could not backfill \(gap.ticker) from \(source.name): \(error)", metadata: ["reason": "\(error.kind)"])
            }
        }
        return nil
    }
}
