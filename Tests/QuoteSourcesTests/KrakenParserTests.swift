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
