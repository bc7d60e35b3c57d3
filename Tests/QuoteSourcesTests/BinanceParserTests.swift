import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct BinanceParserTests {
    private func answer(_ name: String, asked: [String] = ["BTCUSDT"]) throws -> BinanceTickerAnswer {
        let fixture = try Fixture(name)
        return try BinanceTickerAnswer(status: fixture.status, body: fixture.body, asked: asked)
    }

    private func klines(_ name: String) throws -> [Candle] {
        let fixture = try Fixture(name)
        return try BinanceKlines.parse(status: fixture.status, body: fixture.body, symbol: "BTCUSDT")
    }

    @Test func readsLastPriceBaseVolumeAndCloseTime() throws {
        // closeTime as a string (the ccxt capture) and as a number (Binance's own).
        let single = try answer("binance-ticker-btcusdt-ccxt").quote(for: "BTCUSDT")
        #expect(
            single == (try Quote(price: 73346.14, volume: 129.21293, observedAt: Timestamp(microsecondsSince1970: 1_710_328_244_727_000))))
        let both = try answer("binance-ticker-btcusdt-ethusdt", asked: ["BTCUSDT", "ETHUSDT"])
        #expect(try both.quote(for: "BTCUSDT") == single)
        #expect(
            try both.quote(for: "ETHUSDT")
                == Quote(price: 3968.13, volume: 2104.8812, observedAt: Timestamp(microsecondsSince1970: 1_710_328_244_730_000)))
    }

    @Test func neverTakesOneSymbolsAnswerForAnother() throws {
        #expect(throws: UpstreamError.wrongPair(asked: "BTCUSDT", answered: "BNBBTC")) {
            try answer("binance-ticker-docs-bnbbtc").quote(for: "BTCUSDT")
        }
        #expect(throws: UpstreamError.wrongPair(asked: "SOLUSDT", answered: "ETHUSDT")) {
            try answer("binance-ticker-btcusdt-ethusdt", asked: ["BTCUSDT", "SOLUSDT"]).quote(for: "SOLUSDT")
        }
        let error = #expect(throws: UpstreamError.self) {
            try answer("binance-ticker-btcusdt-ethusdt", asked: ["BTCUSDT", "ETHUSDT", "SOLUSDT"]).quote(for: "SOLUSDT")
        }
        #expect(error?.kind == "malformed_body")
    }

    @Test func reportsAnInvalidSymbol() throws {
        #expect(throws: UpstreamError.unknownPair("BTCUSDT,FOOUSDT (Invalid symbol.)")) {
            try answer("binance-error-invalid-symbol", asked: ["BTCUSDT", "FOOUSDT"])
        }
        #expect(throws: UpstreamError.unknownPair("FOOUSDT (Invalid symbol.)")) {
            let fixture = try Fixture("binance-error-invalid-symbol")
            return try BinanceKlines.parse(status: fixture.status, body: fixture.body, symbol: "FOOUSDT")
        }
    }

    @Test func rejectsANegativeVolume() throws {
        #expect(throws: UpstreamError.invalidValue(field: "volume", reason: "-129.21293 is negative")) {
            try answer("binance-ticker-negative-volume").quote(for: "BTCUSDT")
        }
    }

    @Test func encodesTheSymbolsListAsBinanceRequires() {
        #expect(
            BinanceUpstream.tickerURL(baseURL: "https://api.binance.com", symbols: ["BTCUSDT", "ETHUSDT"])
                == "https://api.binance.com/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D")
        #expect(BinanceUpstream.tickerURL(baseURL: "http://x", symbols: ["BTCUSDT"]) == "http://x/api/v3/ticker/24hr?symbol=BTCUSDT")
        #expect(BinanceUpstream.symbol(try! CurrencyPair(parsing: "BTCUSDT")) == "BTCUSDT")
    }

    @Test func readsMinuteKlinesClosingAFullMinuteAfterTheyOpen() throws {
        let candles = try klines("binance-klines-btcusdt-1m")
        #expect(candles.map(\.closeTime.microsecondsSince1970) == [1_710_327_660, 1_710_327_720, 1_710_327_780].map { $0 * 1_000_000 })
        #expect(candles.map(\.close) == [73251.1, 73270.55, 73285])
        #expect(candles[0].openTime == Timestamp(secondsSince1970: 1_710_327_600))
        #expect(candles[2].volume == 0)
        // The last candle is still open at 10:03:30.
        let finished = CandlePages.finished(
            candles,
            closingIn: TimeRange(from: Timestamp(secondsSince1970: 1_710_327_000), through: Timestamp(secondsSince1970: 1_710_328_000)),
            now: Timestamp(secondsSince1970: 1_710_327_750))
        #expect(finished.count == 2)
    }

    @Test func refusesKlinesOfAnotherIntervalAndBrokenValues() throws {
        let hour = #expect(throws: UpstreamError.self) { try klines("binance-klines-btcusdt-1h-ccxt") }
        #expect(hour?.kind == "malformed_body")
        #expect(throws: UpstreamError.invalidValue(field: "klines[0][4] (close)", reason: "\"NaN?\" is not a number")) {
            try klines("binance-klines-non-numeric-close")
        }
    }

    @Test func pagesKlinesByOpenTimeInMilliseconds() throws {
        let now = try Timestamp(rfc3339: "2026-11-25T12:00:30Z")
        let pages = CandlePages.plan(
            closingIn: TimeRange(last: 48 * 3600, endingAt: now), now: now, period: BinanceUpstream.candlePeriod,
            rowsPerPage: BinanceUpstream.candlesPerRequest)
        #expect(pages.count == 3)
        let first = try Timestamp(rfc3339: "2026-11-23T12:00:00Z").microsecondsSince1970 / 1000
        #expect(
            BinanceUpstream.klinesURL(baseURL: "https://api.binance.com", symbol: "BTCUSDT", page: pages[0])
                == "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=\(first)&endTime=\(first + 879 * 60_000)&limit=1000"
        )
        #expect(pages[1].firstOpen == pages[0].lastOpen.adding(seconds: 60))
        #expect(pages[2].lastOpen == (try Timestamp(rfc3339: "2026-11-25T11:59:00Z")))
    }
}
