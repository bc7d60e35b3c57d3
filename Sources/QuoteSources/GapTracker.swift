import MetricsCore
import Synchronization

/// Up to when each ticker's history is complete (polled, or being filled by a backfill), and so
/// where its gaps are: the last day when a ticker has no history at start, the downtime when the
/// service was down, and the stretch a ticker was unserved once it is served again. A stretch no
/// longer than ``threshold`` is no gap: it holds at most one candle's close.
final class GapTracker: Sendable {
    let threshold: Duration
    private let covered = Mutex<[Ticker: Timestamp]>([:])

    init(threshold: Duration) {
        self.threshold = threshold
    }

    /// The gaps to fill at start, given each ticker's newest stored sample: the past day of a
    /// ticker with none, or the time since its newest one when that is longer than the threshold.
    /// From `now` on the cycles cover every ticker, so that the first cycles do not report the
    /// gap a startup backfill is filling.
    func startupGaps(of tickers: [Ticker], newest: [Ticker: Timestamp], now: Timestamp) -> [BackfillGap] {
        // Just over a day, so that a candle closing exactly 24 hours ago is in.
        let dayAgo = now.adding(seconds: -CandleBackfill.volumeWindowSeconds - 1e-6)
        var gaps: [BackfillGap] = []
        covered.withLock { covered in
            for ticker in tickers {
                covered[ticker] = max(covered[ticker] ?? now, now)
                let last = newest[ticker]
                if let last, now.microsecondsSince1970 - last.microsecondsSince1970 <= threshold.microseconds { continue }
                let from = max(last ?? dayAgo, dayAgo)
                guard from < now else { continue }
                gaps.append(BackfillGap(ticker: ticker, range: TimeRange(from: from, through: now)))
            }
        }
        return gaps
    }

    /// Records that `tickers` were served at `timestamp`, and returns the gaps this closes: for a
    /// ticker last covered longer than the threshold before, the stretch in between.
    func served(_ tickers: some Sequence<Ticker>, at timestamp: Timestamp) -> [BackfillGap] {
        covered.withLock { covered in
            var gaps: [BackfillGap] = []
            for ticker in tickers {
                defer { covered[ticker] = max(covered[ticker] ?? timestamp, timestamp) }
                guard let last = covered[ticker], last < timestamp,
                    timestamp.microsecondsSince1970 - last.microsecondsSince1970 > threshold.microseconds
                else { continue }
                gaps.append(BackfillGap(ticker: ticker, range: TimeRange(from: last, through: timestamp)))
            }
            return gaps.sorted { $0.ticker < $1.ticker }
        }
    }
}
