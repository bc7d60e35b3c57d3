import Foundation
import MetricsCore

/// A built-in market simulation for offline demos: `--source simulated`.
///
/// Each pair's price follows a deterministic random walk at a realistic level (BTC near 90,000 USD,
/// stablecoins near 1), with the same asset moving alike on every exchange and each exchange adding a
/// little noise of its own. The walk is a function of time, not of state: a restart continues the
/// same chart, and its minute candles let the backfill lay down the past day at once, so that the
/// API is worth looking at from the first second.
///
/// The walk sums smoothly interpolated random values at periods from a minute to a week, with
/// amplitudes growing as the square root of the period, which is how a random walk's spread grows.
public struct SimulatedUpstream: CandleUpstream {
    public let name = "simulated"
    public var endpointDescription: String { "built-in simulation" }

    public init() {}

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        Dictionary(
            uniqueKeysWithValues: tickers.map { ticker in
                (ticker, Result { () throws(UpstreamError) in try Self.quote(for: ticker, at: timestamp) })
            }
        )
    }

    /// Minute candles closing on whole minutes, each closing at the simulated price of its close
    /// time and trading a 1,440th of the simulated 24-hour volume then, so that a day's candles add
    /// up to about the volume a quote shows.
    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        let minute: Int64 = 60_000_000
        var close = (range.from.microsecondsSince1970 + minute - 1) / minute * minute
        var candles: [Candle] = []
        while close <= range.through.microsecondsSince1970 {
            let closeTime = Timestamp(microsecondsSince1970: close)
            let quote = try Self.quote(for: ticker, at: closeTime)
            candles.append(
                try Candle(
                    openTime: Timestamp(microsecondsSince1970: close - minute), closeTime: closeTime,
                    close: quote.price, volume: quote.volume / 1_440))
            close += minute
        }
        return candles
    }

    /// The simulated quote of `ticker` at `timestamp`: the same inputs always give the same quote.
    public static func quote(for ticker: Ticker, at timestamp: Timestamp) throws(UpstreamError) -> Quote {
        let profile = AssetProfile(ticker.pair)
        let seconds = Double(timestamp.microsecondsSince1970) / 1_000_000
        let assetSeed = stableHash(ticker.pair.symbol)
        let exchangeSeed = stableHash(ticker.description)
        let drift =
            walk(seconds, seed: assetSeed, dailyVolatility: profile.dailyVolatility)
            + 0.1 * walk(seconds, seed: exchangeSeed, dailyVolatility: profile.dailyVolatility)
        let volumeDrift = walk(seconds, seed: exchangeSeed ^ 0x5EED, dailyVolatility: 0.2)
        return try Quote(
            price: profile.price * exp(drift),
            volume: profile.volume * exp(volumeDrift)
        )
    }

    /// Periods of the summed noise, in seconds: a minute to a week.
    private static let periods: [Double] = [60, 600, 3_600, 21_600, 86_400, 604_800]

    private static func walk(_ seconds: Double, seed: UInt64, dailyVolatility: Double) -> Double {
        var total = 0.0
        for (octave, period) in periods.enumerated() {
            let amplitude = dailyVolatility * (period / 86_400).squareRoot()
            total += amplitude * valueNoise(seconds / period, seed: seed &+ UInt64(octave) &* 0x9E37_79B9_7F4A_7C15)
        }
        return total
    }

    /// Random values in [-1, 1] at whole numbers, smoothly interpolated between them.
    private static func valueNoise(_ x: Double, seed: UInt64) -> Double {
        let knot = x.rounded(.down)
        let fraction = x - knot
        let left = random(seed, Int64(knot))
        let right = random(seed, Int64(knot) + 1)
        let smooth = fraction * fraction * (3 - 2 * fraction)
        return left + (right - left) * smooth
    }

    private static func random(_ seed: UInt64, _ index: Int64) -> Double {
        // SplitMix64's finaliser over the seed and the knot index.
        var z = seed &+ UInt64(bitPattern: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }

    /// FNV-1a, which unlike `Hasher` gives the same value in every process.
    private static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}

/// Typical price (USD), 24-hour volume (base units) and daily volatility of well-known assets.
private struct AssetProfile {
    let price: Double
    let volume: Double
    let dailyVolatility: Double

    private static let known: [String: (price: Double, volume: Double, volatility: Double)] = [
        "BTC": (90_000, 3_000, 0.025), "ETH": (3_000, 40_000, 0.035), "LTC": (90, 50_000, 0.04),
        "DOGE": (0.17, 200_000_000, 0.05), "MANA": (0.3, 3_000_000, 0.05), "XRP": (2.2, 30_000_000, 0.045),
        "SOL": (140, 400_000, 0.045), "ADA": (0.6, 20_000_000, 0.045), "DOT": (4, 2_000_000, 0.045),
        "USDT": (1, 50_000_000, 0.0003), "USDC": (1, 30_000_000, 0.0003), "DAI": (1, 5_000_000, 0.0005),
        "EUR": (1.08, 10_000_000, 0.004), "GBP": (1.27, 5_000_000, 0.004), "PLN": (0.25, 5_000_000, 0.005),
    ]

    init(_ pair: CurrencyPair) {
        let base = Self.known[pair.base] ?? (price: 10, volume: 1_000_000, volatility: 0.05)
        let quoteInUSD = Self.known[pair.quote]?.price ?? 1
        price = base.price / quoteInUSD
        volume = base.volume
        dailyVolatility = base.volatility
    }
}
