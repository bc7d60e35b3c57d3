import Logging
import MetricsCore
import MetricsStore

/// Fills gaps in the history from the exchanges' candles, beside the cycles: the last day at
/// start, the downtime after a restart, and the stretches a ticker went unserved
/// (``GapTracker`` finds them). The candles that closed inside a gap become samples marked as
/// backfilled, beside (never over) polled ones.
struct Backfiller: Sendable {
    let upstreams: [String: any QuoteUpstream]
    let store: any MetricStore
    /// The metrics each ticker stores.
    let metrics: [MetricType]
    let logger: Logger
    let storedCounters = CounterFamily(TelemetryLabel.samplesStored)

    /// Later attempts at a failed backfill, a minute apart, then two, then three.
    static var retries: Int { 3 }
    static var concurrentBackfills: Int { 4 }

    /// Fills gaps as they come, a few at a time (each exchange's pacer keeps it within its limit),
    /// until `gaps` ends. `market` says which upstreams serve a ticker now, `nil` once this
    /// poller no longer polls it: a gap is filled by the poller that holds its ticker. A gap whose
    /// backfill failed (the exchange or the store refused) is tried again later, a few times,
    /// rather than left empty for good.
    func fill(_ gaps: AsyncStream<BackfillGap>, market: @escaping @Sendable (Ticker) -> PollPlan.Market?) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await gap in gaps {
                if running >= Self.concurrentBackfills {
                    await group.next()
                    running -= 1
                }
                group.addTask {
                    for attempt in 0...Self.retries {
                        if attempt > 0 {
                            do { try await Task.sleep(for: .seconds(60 * attempt)) } catch { return }
                            logger.info(
                                "trying the backfill of \(gap.ticker) again (\(attempt) of \(Self.retries))",
                                metadata: ["ticker": "\(gap.ticker)"])
                        }
                        guard let current = market(gap.ticker) else { return }
                        if await backfill(gap, from: current) != nil { return }
                    }
                }
                running += 1
            }
        }
    }

    /// Fills one gap from the first of the market's upstreams that has candles. Returns the
    /// samples stored, or `nil` when every source failed (worth another try later).
    @discardableResult
    func backfill(_ gap: BackfillGap, from market: PollPlan.Market) async -> Int? {
        let sources = market.upstreams.compactMap { upstreams[$0] as? any CandleUpstream }
        guard !sources.isEmpty else {
            logger.notice(
                "no backfill for \(gap.ticker): \(market.upstreams.joined(separator: ", ")) offers no candles; its chart starts at its first poll",
                metadata: ["ticker": "\(gap.ticker)"])
            return 0
        }
        for source in sources where !Task.isCancelled {
            let metadata: Logger.Metadata = ["ticker": "\(gap.ticker)", "upstream": "\(source.name)"]
            do throws(UpstreamError) {
                let candles = try await source.candles(for: gap.ticker, closingIn: CandleBackfill.candleRange(filling: gap.range))
                let points = CandleBackfill.points(from: candles, filling: gap.range)
                let origin = SampleOrigin.backfilled(from: source.name)
                var rows: [SampleRow] = []
                rows.reserveCapacity(points.count * metrics.count)
                for point in points {
                    for type in metrics {
                        guard let value = type == .price ? point.price : point.volume else { continue }
                        rows.append(
                            SampleRow(
                                key: MetricKey(ticker: gap.ticker, type: type), timestamp: point.timestamp, value: value, origin: origin))
                    }
                }
                let summary: ImportSummary
                do {
                    summary = try await store.importSamples(rows)
                } catch is CancellationError {
                    return nil  // shutdown
                } catch {
                    logger.error("could not store the backfill of \(gap.ticker) from \(source.name): \(error)", metadata: metadata)
                    return nil
                }
                storedCounters(("kind", "backfill")).increment(by: summary.inserted)
                let withoutVolume = points.filter { $0.volume == nil }.count
                let note =
                    withoutVolume > 0 && metrics.contains(.volume)
                    ? "; \(withoutVolume) without volume, where \(source.name)'s candles do not reach a full day back" : ""
                logger.info(
                    "backfilled \(gap.ticker) from \(source.name)'s candles over \(gap.range): \(points.count) points, \(summary.inserted) samples stored\(note)",
                    metadata: metadata)
                return summary.inserted
            } catch .cancelled {
                return nil  // shutdown: not a failure of the source
            } catch {
                logger.warning(
                    "could not backfill \(gap.ticker) from \(source.name): \(error)",
                    metadata: metadata.merging(["reason": "\(error.kind)"]) { _, new in new })
            }
        }
        return nil
    }
}
