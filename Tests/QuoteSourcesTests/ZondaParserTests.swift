import MetricsCore
import Testing

@testable import QuoteSources

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
