import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct BitstampParserTests {
    let btcusd = try! CurrencyPair(parsing: "BTCUSD")
    let btcusdt = try! CurrencyPair(parsing: "BTCUSDT")

    private func answer(_ name: String, asked: String = "every market") throws -> BitstampTickerAnswer {
        let fixture = try Fixture(name)
        return try BitstampTickerAnswer(status: fixture.status, body: fixture.body, asked: asked)
    }

    private func ohlc(_ name: String, pair: CurrencyPair) throws -> [Candle] {
        let fixture = try Fixture(name)
        return try BitstampOHLC.parse(status: fixture.status, body: fixture.body, pair: pair)
    }

    @Test func readsOneMarket() throws {
        #expect(
            try answer("bitstamp-ticker-btcusdt-ccxt", asked: "BTC/USDT").quote(for: btcusdt)
                == Quote(price: 73285, volume: 135.29692054, observedAt: Timestamp(secondsSince1970: 1_710_328_241)))
    }

    @Test func readsEveryMarketAtOnceByItsPairName() throws {
        let all = try answer("bitstamp-ticker-all")
        #expect(try all.quote(for: btcusdt).price == 73285)
        #expect(
            try all.quote(for: btcusd) == Quote(price: 73270, volume: 2631.51860512, observedAt: Timestamp(secondsSince1970: 1_710_328_240))
        )
        #expect(try all.quote(for: CurrencyPair(parsing: "ETHUSD")).volume == 10422.90112233)
        #expect(throws: UpstreamError.unknownPair("LTC/USD")) { try all.quote(for: CurrencyPair(parsing: "LTCUSD")) }
    }

    @Test func neverTakesOneMarketsAnswerForAnother() throws {
        #expect(throws: UpstreamError.wrongPair(asked: "BTC/USDT", answered: "ETH/USD")) {
            try answer("bitstamp-ticker-wrong-pair", asked: "BTC/USDT").quote(for: btcusdt)
        }
        #expect(throws: UpstreamError.wrongPair(asked: "BTC/USD", answered: "BTC/USDT")) {
            try ohlc("bitstamp-ohlc-btcusdt-3600-ccxt", pair: btcusd)
        }
    }

    @Test func reportsAPairItDoesNotList() throws {
        #expect(throws: UpstreamError.unknownPair("FOO/USD")) { try answer("bitstamp-error-not-found", asked: "FOO/USD") }
        #expect(throws: UpstreamError.unknownPair("BTC/USD")) { try ohlc("bitstamp-error-not-found", pair: btcusd) }
    }

    @Test func asksForOnePairInLowerCase() {
        #expect(BitstampUpstream.urlSymbol(btcusdt) == "btcusdt")
        let page = CandlePage(firstOpen: Timestamp(secondsSince1970: 1_790_503_200), lastOpen: Timestamp(secondsSince1970: 1_790_563_140))
        #expect(
            BitstampUpstream.ohlcURL(baseURL: "https://www.bitstamp.net", pair: btcusd, page: page)
                == "https://www.bitstamp.net/api/v2/ohlc/btcusd/?step=60&limit=1000&start=1790503200")
        let short = CandlePage(firstOpen: Timestamp(secondsSince1970: 1_790_503_200), lastOpen: Timestamp(secondsSince1970: 1_790_503_320))
        #expect(
            BitstampUpstream.ohlcURL(baseURL: "http://x", pair: btcusd, page: short)
                == "http://x/api/v2/ohlc/btcusd/?step=60&limit=3&start=1790503200")
    }

    @Test func readsMinuteCandlesByOpenTime() throws {
        let candles = try ohlc("bitstamp-ohlc-btcusd-60", pair: btcusd)
        #expect(candles.map(\.closeTime) == [1_790_503_260, 1_790_503_320, 1_790_503_380].map { Timestamp(secondsSince1970: $0) })
        #expect(candles.map(\.close) == [84925.1, 84902.79, 84881])
        #expect(candles[1].volume == 1.22360728)
    }

    @Test func failsOnACandleWithoutAClose() throws {
        #expect(throws: UpstreamError.invalidValue(field: "data.ohlc[0].close", reason: "is missing")) {
            try ohlc("bitstamp-ohlc-missing-close", pair: btcusd)
        }
    }
}
