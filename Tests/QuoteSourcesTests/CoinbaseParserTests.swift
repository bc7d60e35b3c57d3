import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct CoinbaseParserTests {
    private func quote(_ name: String, product: String = "BTC-USD") throws -> Quote {
        let fixture = try Fixture(name)
        return try CoinbaseTicker.quote(status: fixture.status, body: fixture.body, product: product)
    }

    private func candles(_ name: String) throws -> [Candle] {
        let fixture = try Fixture(name)
        return try CoinbaseCandles.parse(status: fixture.status, body: fixture.body, product: "BTC-USD")
    }

    @Test func readsTheLastTradeThe24HourVolumeAndTheTradeTime() throws {
        let quote = try quote("coinbase-ticker-btc-usd")
        // Nine fractional digits, kept to the microsecond.
        #expect(quote == (try Quote(price: 63212.97, volume: 4916.94797396, observedAt: Timestamp(rfc3339: "2026-06-19T16:43:33.016274Z"))))
        let usdt = try self.quote("coinbase-ticker-btc-usdt-ccxt", product: "BTC-USDT")
        #expect(usdt.price == 73367.8)
        #expect(usdt.observedAt == (try Timestamp(rfc3339: "2024-03-13T11:10:41.270099Z")))
    }

    @Test func asksForProductsByTheirDashedID() throws {
        #expect(CoinbaseUpstream.productID(try CurrencyPair(parsing: "BTCUSDT")) == "BTC-USDT")
        #expect(CoinbaseUpstream.productID(try CurrencyPair(parsing: "ETH-EUR")) == "ETH-EUR")
    }

    @Test func reportsAnUnknownProduct() throws {
        #expect(throws: UpstreamError.unknownPair("FOO-USD (NotFound)")) { try quote("coinbase-error-not-found", product: "FOO-USD") }
    }

    @Test func rejectsBrokenValues() throws {
        #expect(throws: UpstreamError.invalidValue(field: "price", reason: "0.0 is not a positive price")) {
            try quote("coinbase-ticker-zero-price")
        }
        #expect(throws: UpstreamError.invalidValue(field: "volume", reason: "is missing")) { try quote("coinbase-ticker-missing-volume") }
        let error = #expect(throws: UpstreamError.self) { try quote("html-bad-gateway") }
        #expect(error?.kind == "http_status")
    }

    @Test func readsCandlesByOpenTimeAndColumnOrder() throws {
        let candles = CandlePages.finished(
            try candles("coinbase-candles-btc-usd-60"),
            closingIn: TimeRange(from: Timestamp(secondsSince1970: 1_781_887_000), through: Timestamp(secondsSince1970: 1_781_887_200)),
            now: Timestamp(secondsSince1970: 1_781_887_300))
        // Newest first on the wire, oldest first here; [time, low, high, open, close, volume].
        #expect(
            candles == [
                try Candle(
                    openTime: Timestamp(secondsSince1970: 1_781_887_080), closeTime: Timestamp(secondsSince1970: 1_781_887_140),
                    close: 63244.77, volume: 0.89694057),
                try Candle(
                    openTime: Timestamp(secondsSince1970: 1_781_887_140), closeTime: Timestamp(secondsSince1970: 1_781_887_200),
                    close: 63239.75, volume: 0.69450254),
            ])
    }

    @Test func failsOnAMalformedCandleRow() throws {
        #expect(throws: UpstreamError.malformedBody("candles[1] is not a candle of 6 values")) { try candles("coinbase-candles-short-row") }
        #expect(throws: UpstreamError.unknownPair("BTC-USD (NotFound)")) { try candles("coinbase-error-not-found") }
    }

    @Test func pagesMinuteCandlesBy300() throws {
        let now = try Timestamp(rfc3339: "2026-11-25T12:00:00Z")
        let pages = CandlePages.plan(
            closingIn: TimeRange(last: 48 * 3600, endingAt: now), now: now, period: CoinbaseUpstream.candlePeriod,
            rowsPerPage: CoinbaseUpstream.candlesPerRequest)
        #expect(pages.count == 10)
        #expect(
            CoinbaseUpstream.candlesURL(baseURL: "https://api.exchange.coinbase.com", product: "BTC-USD", page: pages[0])
                == "https://api.exchange.coinbase.com/products/BTC-USD/candles?granularity=60&start=2026-11-23T11:59:00Z&end=2026-11-23T14:59:00Z"
        )
        #expect(pages.last?.lastOpen == (try Timestamp(rfc3339: "2026-11-25T11:59:00Z")))
    }
}
