import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct QuoteValidationTests {
    @Test func acceptsOnlyFinitePositivePricesAndNonNegativeVolumes() throws {
        #expect(throws: Never.self) { try Quote(price: 1, volume: 0) }
        for (price, volume) in [(0.0, 1.0), (-1, 1), (.nan, 1), (.infinity, 1), (1, -0.1), (1, .nan), (1, .infinity), (1e19, 1), (1, 1e19)]
        {
            #expect(throws: UpstreamError.self) { try Quote(price: price, volume: volume) }
        }
    }
}
