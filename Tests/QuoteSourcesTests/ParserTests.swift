import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct KrakenParserTests {
    private func answer(_ fixture: String, asked: String = "XBTUSD") throws -> KrakenTickerAnswer {
        let fixture = try Fixture(fixture)
        return try KrakenTickerAnswer(status: fixture.status, body: fixture.body, asked: asked)
    }

    @Test func readsPriceAndVolumeUnderKrakensOwnKeys() throws {
        let answer = try answer("kraken-ticker-ethusd-xbtusd", asked: "ETHUSD,XBTUSD")
        #expect(try answer.quote(for: CurrencyPair(parsing: "BTCUSD")) == Quote(price: 64547.2, volume: 6253.84063618))
        #expect(try answer.quote(for: CurrencyPair(parsing: "ETHUSD")) == Quote(price: 3338.08, volume: 35692.20596751))
    }

    @Test func mapsEveryKeyStyle() throws {
        let mixed = try answer("kraken-ticker-daiusd-ethusd", asked: "DAIUSD,ETHUSD")
        #expect(try mixed.quote(for: CurrencyPair(parsing: "DAIUSD")).price == 0.99986)
        #expect(try mixed.quote(for: CurrencyPair(parsing: "ETHUSD")).price == 257.81)
        let renamed = try answer("kraken-ticker-xdgusd-usdtzusd-manausd", asked: "XDGUSD,USDTUSD,MANAUSD")
        #expect(try renamed.quote(for: CurrencyPair(parsing: "DOGEUSD")).price == 0.171225)
        #expect(try renamed.quote(for: CurrencyPair(parsing: "USDTUSD")).volume == 25_000_000)
        #expect(try renamed.quote(for: CurrencyPair(parsing: "MANAUSD")).price == 0.30095)
    }

    @Test func acceptsPairsConfiguredInKrakensNames() throws {
        let answer = try answer("kraken-ticker-ethusd-xbtusd", asked: "ETHUSD,XBTUSD")
        #expect(try answer.quote(for: CurrencyPair(parsing: "XBTUSD")).price == 64547.2)
    }

    @Test func asksForPairsInKrakensNames() throws {
        #expect(KrakenPairNames.requestName(for: try CurrencyPair(parsing: "BTCUSD")) == "XBTUSD")
        #expect(KrakenPairNames.requestName(for: try CurrencyPair(parsing: "DOGEUSD")) == "XDGUSD")
        #expect(KrakenPairNames.requestName(for: try CurrencyPair(parsing: "ETHBTC")) == "ETHXBT")
        #expect(KrakenPairNames.requestName(for: try CurrencyPair(parsing: "MANAUSD")) == "MANAUSD")
    }

    @Test func doesNotConfuseSimilarPairs() throws {
        let answer = try answer("kraken-ticker-ethusd-xbtusd", asked: "ETHUSD,XBTUSD")
        #expect(throws: UpstreamError.self) { try answer.quote(for: CurrencyPair(parsing: "BTCEUR")) }
        #expect(throws: UpstreamError.self) { try answer.quote(for: CurrencyPair(parsing: "ETHUSDT")) }
    }

    @Test func reportsAnUnknownPair() throws {
        #expect(throws: UpstreamError.unknownPair("FOOUSD")) { try answer("kraken-error-unknown-asset-pair", asked: "FOOUSD") }
    }

    @Test func reportsKrakensErrors() throws {
        #expect(throws: UpstreamError.httpStatus(503, body: "EService:Unavailable")) { try answer("kraken-error-service-unavailable") }
        // Throttling in the body, with a 200, is a rate limit all the same.
        #expect(throws: UpstreamError.rateLimited(retryAfterSeconds: nil)) { try answer("kraken-error-rate-limit-200") }
    }

    @Test func rejectsBodiesThatAreNotTheFormat() throws {
        for name in ["html-bad-gateway", "kraken-truncated"] {
            let error = #expect(throws: UpstreamError.self) { try answer(name) }
            #expect(["http_status", "malformed_body"].contains(error?.kind ?? ""), "\(name): \(String(describing: error))")
        }
    }

    @Test func rejectsMissingAndInvalidNumbersPerPair() throws {
        let missing = try answer("kraken-ticker-missing-last-trade")
        #expect(throws: UpstreamError.invalidValue(field: "result.XXBTZUSD.c[0]", reason: "is missing")) {
            try missing.quote(for: CurrencyPair(parsing: "BTCUSD"))
        }
        let garbage = try answer("kraken-ticker-garbage-values", asked: "XBTUSD,ETHUSD,LTCUSD")
        #expect(throws: UpstreamError.invalidValue(field: "result.XXBTZUSD.c[0]", reason: "\"n/a\" is not a number")) {
            try garbage.quote(for: CurrencyPair(parsing: "BTCUSD"))
        }
        #expect(throws: UpstreamError.invalidValue(field: "volume", reason: "-3.5 is negative")) {
            try garbage.quote(for: CurrencyPair(parsing: "ETHUSD"))
        }
        #expect(throws: UpstreamError.invalidValue(field: "result.XLTCZUSD.c[0]", reason: "is null")) {
            try garbage.quote(for: CurrencyPair(parsing: "LTCUSD"))
        }
    }
}

@Suite struct ZondaParserTests {
    private func answer(_ fixture: String, key: String) throws -> ZondaAnswer {
        let fixture = try Fixture(fixture)
        return try ZondaAnswer(status: fixture.status, body: fixture.body, key: key)
    }

    @Test func readsOneMarket() throws {
        #expect(try answer("zonda-ticker-btc-usdt", key: "ticker").entry(for: "BTC-USDT")["rate"].decimal("rate") == 73250.01)
        #expect(try answer("zonda-stats-btc-pln", key: "stats").entry(for: "BTC-PLN")["v"].decimal("v") == 1837.37063918)
    }

    @Test func neverTakesOneMarketsAnswerForAnother() throws {
        let error = #expect(throws: UpstreamError.self) { try answer("zonda-ticker-btc-usdt", key: "ticker").entry(for: "ETH-USD") }
        #expect(error?.kind == "malformed_body")
    }

    @Test func readsEveryMarketAtOnce() throws {
        let tickers = try answer("zonda-ticker-all", key: "ticker")
        let stats = try answer("zonda-stats-all", key: "stats")
        #expect(try tickers.entry(for: "ETH-USD")["rate"].decimal("rate") == 3991.27)
        #expect(try stats.entry(for: "BTC-USDT")["v"].decimal("v") == 12.87654321)
        #expect(throws: UpstreamError.unknownPair("LTC-USD")) { try tickers.entry(for: "LTC-USD") }
    }

    @Test func reportsFailures() throws {
        #expect(throws: UpstreamError.unknownPair("TICKER_NOT_FOUND")) { try answer("zonda-fail", key: "ticker") }
        let error = #expect(throws: UpstreamError.self) { try answer("html-bad-gateway", key: "ticker") }
        #expect(error?.kind == "http_status")
    }
}

@Suite struct CryptowatchParserTests {
    let ticker = try! Ticker(parsing: "KRAKEN:BTCUSD")

    @Test func readsASummary() throws {
        let fixture = try Fixture("cryptowatch-summary-kraken-btcusd")
        #expect(
            try CryptowatchSummary.quote(status: fixture.status, body: fixture.body, ticker: ticker)
                == Quote(price: 8671.7, volume: 4120.52255495))
    }

    @Test func reportsItsErrors() throws {
        let fixture = try Fixture("cryptowatch-error-not-found")
        let error = #expect(throws: UpstreamError.self) {
            try CryptowatchSummary.quote(status: fixture.status, body: fixture.body, ticker: ticker)
        }
        #expect(error?.kind == "unknown_pair")
        #expect(error?.description.contains("Exchange not found") == true)
    }
}

@Suite struct QuoteValidationTests {
    @Test func acceptsOnlyFinitePositivePricesAndNonNegativeVolumes() throws {
        #expect(throws: Never.self) { try Quote(price: 1, volume: 0) }
        for (price, volume) in [(0.0, 1.0), (-1, 1), (.nan, 1), (.infinity, 1), (1, -0.1), (1, .nan), (1, .infinity), (1e19, 1), (1, 1e19)]
        {
            #expect(throws: UpstreamError.self) { try Quote(price: price, volume: volume) }
        }
    }
}
