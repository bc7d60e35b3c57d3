extension FakeUpstream {
    /// One market's values on one exchange, as the caller set them, and the candle history the fake
    /// derives from them.
    ///
    /// Candles follow a deterministic wave so that a test can compute what it should read: the
    /// one-minute close at epoch minute `m` is `price × (1 + w(m))` with `w(m) = ((m mod 20) − 10) / 10 000`
    /// (a ±0.1 % saw-tooth with a 20-minute period), rounded to 8 decimals; see ``minuteClose(_:)``
    /// and ``candle(openingAt:period:)``. Each minute trades `volume / 1440` of the base asset.
    public struct Market: Sendable, Hashable {
        /// Last trade price, in the quote currency.
        public var price: Double
        /// Rolling 24-hour volume, in the base asset.
        public var volume: Double
        /// How far back the exchange keeps candles, from now: shorter than a test asks for, it
        /// plays an exchange whose history is too short.
        public var historyDepth: Duration
        /// Exact text to send for price and volume where the format sends strings, as the legacy
        /// setters took them (`"90000.10000"`, or deliberately broken values such as `"n/a"`).
        var priceText: String?
        var volumeText: String?
        /// Kraken's answer key when the caller named it (`XXBTZUSD`); otherwise derived.
        var answerKey: String?

        /// Five days: more than the 24 hours the app backfills, less than Binance keeps.
        public static let defaultHistoryDepth: Duration = .seconds(5 * 86_400)

        public init(price: Double, volume: Double, historyDepth: Duration = Market.defaultHistoryDepth) {
            self.price = price
            self.volume = volume
            self.historyDepth = historyDepth
        }

        /// The close of the one-minute candle of epoch minute `minute` (the minute opening at `minute × 60` s).
        public func minuteClose(_ minute: Int64) -> Double {
            let phase = ((minute % 20) + 20) % 20
            return Self.rounded(price * (1 + Double(phase - 10) / 10_000))
        }

        /// The candle of `period` seconds (a multiple of 60) opening at `openTime` (epoch seconds):
        /// open is the previous minute's close, close the last minute's, volume `volume × period / 86 400`.
        public func candle(openingAt openTime: Int64, period: Int64) -> GeneratedCandle {
            let first = openTime / 60
            let minutes = max(period / 60, 1)
            let last = first + minutes - 1
            let open = minuteClose(first - 1)
            let close = minuteClose(last)
            var high = max(open, close)
            var low = min(open, close)
            if minutes >= 20 {
                // A whole wave fits in the candle: its extremes are the wave's.
                high = max(high, Self.rounded(price * 1.0009))
                low = min(low, Self.rounded(price * 0.999))
            } else {
                for minute in first...last {
                    high = max(high, minuteClose(minute))
                    low = min(low, minuteClose(minute))
                }
            }
            let volume = Self.rounded(self.volume * Double(period) / 86_400)
            return GeneratedCandle(
                openTime: openTime, period: period, open: open, high: high, low: low, close: close, volume: volume,
                vwap: Self.rounded((high + low + close) / 3), trades: Int(minutes))
        }

        /// `value` rounded to 8 decimals, so that its `%.8f` text reads back as the same `Double`.
        public static func rounded(_ value: Double) -> Double { (value * 100_000_000).rounded() / 100_000_000 }
    }

    /// One generated candle, in the fake's terms; each format lays it out its own way.
    public struct GeneratedCandle: Sendable, Hashable {
        /// When its period began, epoch seconds.
        public let openTime: Int64
        /// Its length in seconds.
        public let period: Int64
        public let open: Double
        public let high: Double
        public let low: Double
        public let close: Double
        /// Base-asset volume of the period.
        public let volume: Double
        /// Volume-weighted average price, as Kraken reports it.
        public let vwap: Double
        /// Number of trades (one a minute).
        public let trades: Int

        /// When its period ends, epoch seconds: the next candle's open time.
        public var closeTime: Int64 { openTime + period }
        /// Quote-asset volume.
        public var quoteVolume: Double { Market.rounded(volume * vwap) }
    }
}
