import MetricsCore

/// Turns an exchange's candles into samples that mean what polled ones mean.
///
/// A polled sample is the last trade price and the volume of the 24 hours before it. So a
/// backfilled point sits at a candle's close time with the candle's close as its price, and its
/// volume is the sum of the volumes of the candles that closed in the 24 hours up to it. Where the
/// candles do not reach a full 24 hours back, the point has no volume: a partial sum would read as
/// a sudden drop in trading that never happened.
public enum CandleBackfill {
    public struct Point: Hashable, Sendable {
        public let timestamp: Timestamp
        public let price: Double
        /// `nil` where the candles do not cover the 24 hours before the point.
        public let volume: Double?
    }

    /// The span a volume sums over: the same 24 hours a polled volume covers.
    public static let volumeWindowSeconds: Double = 86_400

    /// The time range to ask candles for, to fill `gap` with volumes: the day before it too.
    public static func candleRange(filling gap: TimeRange) -> TimeRange {
        TimeRange(from: gap.from.adding(seconds: -volumeWindowSeconds), through: gap.through)
    }

    /// One point per candle closing strictly inside `gap` (its ends are samples already stored, or
    /// now), from `candles` sorted by close time and covering ``candleRange(filling:)``.
    public static func points(from candles: [Candle], filling gap: TimeRange) -> [Point] {
        // Drop a repeated candle (an exchange's pages can overlap by one).
        var unique: [Candle] = []
        unique.reserveCapacity(candles.count)
        for candle in candles where unique.last.map({ $0.closeTime < candle.closeTime }) ?? true { unique.append(candle) }
        let candles = unique
        guard let earliestOpen = candles.first?.openTime else { return [] }
        var points: [Point] = []
        var windowStart = 0
        var windowVolume = 0.0
        for (index, candle) in candles.enumerated() {
            windowVolume += candle.volume
            let dayBefore = candle.closeTime.adding(seconds: -volumeWindowSeconds)
            while windowStart < index, candles[windowStart].closeTime <= dayBefore {
                windowVolume -= candles[windowStart].volume
                windowStart += 1
            }
            guard gap.from < candle.closeTime, candle.closeTime < gap.through else { continue }
            let covered = earliestOpen <= dayBefore
            points.append(Point(timestamp: candle.closeTime, price: candle.close, volume: covered ? max(0, windowVolume) : nil))
        }
        return points
    }
}
