import FakeUpstream
import Foundation
import MetricsCore
import Testing

@testable import QuoteSources

/// Every exchange adapter against the fake exchange's rendering of that exchange's wire format,
/// over real HTTP on 127.0.0.1: quotes for several pairs in as few requests as the exchange allows,
/// and a day and a half of candles, paged where the exchange caps an answer.
@Suite struct ExchangeNetworkTests {
    /// Now, frozen on the last whole hour so that candle times are exact for every period. Near the
    /// real now, because an exchange's history reaches back from the real now (Kraken keeps its
    /// last 720 candles, and the adapter picks its interval by that).
    let now = Timestamp.now.roundedDown(toMultipleOf: .seconds(3_600))
    let http = UpstreamHTTPClient(timeout: .seconds(30), retry: .never, rateLimit: RateLimit(requests: 1_000, per: .seconds(1)))

    struct Case: Sendable, CustomStringConvertible {
        let exchange: FakeUpstream.Exchange
        let tickers: [String]
        let keys: [String]
        /// Requests for one batch of quotes of every ticker.
        let quoteRequests: Int
        /// The candle period the adapter should choose for 48 hours, in seconds.
        let candlePeriod: Int64
        var description: String { exchange.rawValue }
    }

    static let cases: [Case] = [
        Case(
            exchange: .kraken, tickers: ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD"], keys: ["XBTUSD", "ETHUSD"], quoteRequests: 1, candlePeriod: 300),
        Case(
            exchange: .coinbase, tickers: ["COINBASE:BTC-USD", "COINBASE:ETH-USD"], keys: ["BTC-USD", "ETH-USD"], quoteRequests: 2,
            candlePeriod: 60),
        Case(
            exchange: .binance, tickers: ["BINANCE:BTCUSDT", "BINANCE:ETHUSDT"], keys: ["BTCUSDT", "ETHUSDT"], quoteRequests: 1,
            candlePeriod: 60),
        Case(
            exchange: .bitstamp, tickers: ["BITSTAMP:BTCUSD", "BITSTAMP:ETHUSD"], keys: ["btcusd", "ethusd"], quoteRequests: 1,
            candlePeriod: 60),
        Case(
            exchange: .gemini, tickers: ["GEMINI:BTCUSD", "GEMINI:ETHUSD"], keys: ["btcusd", "ethusd"], quoteRequests: 2, candlePeriod: 300),
        Case(
            exchange: .cryptowatch, tickers: ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD"], keys: ["kraken:btcusd", "kraken:ethusd"], quoteRequests: 2,
            candlePeriod: 60),
    ]

    private func upstream(_ exchange: FakeUpstream.Exchange, _ baseURL: String) -> any CandleUpstream {
        switch exchange {
        case .kraken: KrakenUpstream(baseURL: baseURL, http: http)
        case .coinbase: CoinbaseUpstream(baseURL: baseURL, http: http)
        case .binance: BinanceUpstream(baseURL: baseURL, http: http)
        case .bitstamp: BitstampUpstream(baseURL: baseURL, http: http)
        case .gemini: GeminiUpstream(baseURL: baseURL, http: http)
        case .cryptowatch: CryptowatchUpstream(baseURL: baseURL, http: http)
        case .zonda: fatalError("Zonda has no candles")
        }
    }

    @Test(arguments: cases)
    func readsQuotesAndCandlesInTheExchangesFormat(_ test: Case) async throws {
        let fake = FakeUpstream()
        fake.freezeTime(at: Double(now.microsecondsSince1970) / 1e6)
        fake.setMarket(test.exchange, test.keys[0], price: 64_123.5, volume: 1_234.5)
        fake.setMarket(test.exchange, test.keys[1], price: 3_210.25, volume: 45_678)
        let tickers = try test.tickers.map { try Ticker(parsing: $0) }
        let range = TimeRange(from: now.adding(seconds: -48 * 3_600), through: now)
        let (quotes, candles) = try await fake.withRunning { baseURL in
            let upstream = upstream(test.exchange, baseURL)
            let quotes = await upstream.quotes(for: tickers, at: now)
            return (quotes, try await upstream.candles(for: tickers[0], closingIn: range))
        }
        #expect(try quotes[tickers[0]]?.get().price == 64_123.5)
        #expect(try quotes[tickers[0]]?.get().volume == 1_234.5)
        #expect(try quotes[tickers[1]]?.get().price == 3_210.25)
        #expect(fake.requestCount(on: .quotes(test.exchange)) == test.quoteRequests, "batched where the exchange allows")

        let market = try #require(fake.market(test.exchange, test.keys[0]))
        let period = test.candlePeriod
        #expect(candles.count == Int(48 * 3_600 / period) + 1, "every candle closing in the 48 hours, both ends included, once")
        #expect(candles.first?.closeTime == range.from)
        #expect(candles.last?.closeTime == now, "up to the last finished candle")
        #expect(zip(candles, candles.dropFirst()).allSatisfy { $0.closeTime < $1.closeTime }, "oldest first")
        for candle in [candles.first, candles[candles.count / 2], candles.last].compactMap({ $0 }) {
            let open = candle.openTime.microsecondsSince1970 / 1_000_000
            let expected = market.candle(openingAt: open, period: period)
            #expect(candle.close == expected.close)
            #expect(candle.volume == expected.volume)
            #expect(candle.closeTime.microsecondsSince1970 - candle.openTime.microsecondsSince1970 == period * 1_000_000)
        }
    }
}
