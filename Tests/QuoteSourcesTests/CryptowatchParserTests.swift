import MetricsCore
import Testing

@testable import QuoteSources

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
