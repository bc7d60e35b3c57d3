import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct GeminiParserTests {
    let btcusd = try! CurrencyPair(parsing: "BTCUSD")

    private func quote(_ name: String, pair: CurrencyPair) throws -> Quote {
        let fixture = try Fixture(name)
        return try GeminiTicker.quote(status: fixture.status, body: fixture.body, pair: pair)
    }

    @Test func readsTheLastTradeAndTheBaseAssetsVolume() throws {
        #expect(
            try quote("gemini-pubticker-btcusd-docs", pair: btcusd)
                == Quote(price: 977.65, volume: 2210.505328803, observedAt: Timestamp(secondsSince1970: 1_483_018_200)))
        // volume.timestamp as a string, as ccxt recorded it.
        #expect(
            try quote("gemini-pubticker-btcusdt-ccxt", pair: CurrencyPair(parsing: "BTCUSDT"))
                == Quote(price: 73268.24, volume: 3.5434218, observedAt: Timestamp(secondsSince1970: 1_710_328_245)))
    }

    @Test func checksTheCurrenciesTheVolumesAreIn() throws {
        #expect(throws: UpstreamError.wrongPair(asked: "ETH/USD", answered: "BTC/USD")) {
            try quote("gemini-pubticker-btcusd-docs", pair: CurrencyPair(parsing: "ETHUSD"))
        }
        #expect(throws: UpstreamError.wrongPair(asked: "BTC/USD", answered: "BTC/USDT")) {
            try quote("gemini-pubticker-btcusdt-ccxt", pair: btcusd)
        }
    }

    @Test func reportsAnInvalidSymbolAndBrokenValues() throws {
        #expect(throws: UpstreamError.unknownPair("foousd (InvalidSymbol)")) {
            try quote("gemini-error-invalid-symbol", pair: CurrencyPair(parsing: "FOOUSD"))
        }
        #expect(throws: UpstreamError.invalidValue(field: "btcusd.last", reason: "\"n/a\" is not a number")) {
            try quote("gemini-pubticker-non-numeric-last", pair: btcusd)
        }
    }

    @Test func readsCandlesNewestFirstAndReturnsThemOldestFirst() throws {
        let fixture = try Fixture("gemini-candles-btcusd-1hr")
        let candles = try GeminiCandles.parse(status: fixture.status, body: fixture.body, symbol: "btcusd", frame: .oneHour)
        #expect(
            candles == [
                try Candle(
                    opening: Timestamp(secondsSince1970: 1_790_499_600), period: .seconds(3600), close: 84912.04, volume: 0.28386706),
                try Candle(
                    opening: Timestamp(secondsSince1970: 1_790_503_200), period: .seconds(3600), close: 84871.45, volume: 0.85068258),
            ])
        #expect(GeminiCandles.reaches(candles, back: Timestamp(secondsSince1970: 1_790_499_600)))
        #expect(!GeminiCandles.reaches(candles, back: Timestamp(secondsSince1970: 1_790_499_599)))
        #expect(!GeminiCandles.reaches([], back: Timestamp(secondsSince1970: 0)))
    }

    @Test func triesTimeFramesFromFinestToCoarsest() {
        #expect(GeminiTimeFrame.allCases.map(\.rawValue) == ["1m", "5m", "15m", "30m", "1hr", "6hr", "1day"])
        let periods = GeminiTimeFrame.allCases.map(\.period)
        #expect(periods == periods.sorted())
    }
}
