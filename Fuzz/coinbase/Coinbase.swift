// Fuzzes Coinbase Exchange's answer readers: `CoinbaseTicker` (GET /products/{id}/ticker),
// `CoinbaseCandles` (GET /products/{id}/candles) and `CoinbaseErrors`.
//
// Selector (byte 1): bit 0 picks ticker (0) or candles (1); the rest the product.
//
// Promises checked, beyond those of every reader (Support/Exchange.swift): the quote's
// `observedAt` is the answer's `time` read as RFC 3339 (checked by reading it again); candles are
// minute candles.
@testable import QuoteSources
import MetricsCore

private let products = ["BTC-USD", "BTC-USDT", "ETH-EUR"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoinbase(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let product = products[(input.selector >> 1) % products.count]
    if input.selector & 1 == 0 {
        do {
            let quote = try CoinbaseTicker.quote(status: input.status, body: input.body, product: product)
            checkQuote(quote, epochTime: false, "Coinbase ticker for \(product): \(shown(input.body))")
            let time = (try? JSONParser.parse(input.body))?["time"]?.string
            invariant(quote.observedAt == time.flatMap { try? Timestamp(rfc3339: $0) }, "observedAt \(String(describing: quote.observedAt)) for time \(String(describing: time))")
        } catch {
            touch(error)
        }
    } else {
        do {
            let candles = try CoinbaseCandles.parse(status: input.status, body: input.body, product: product)
            checkCandles(candles, period: .seconds(60), sorted: false, "Coinbase candles \(product): \(shown(input.body))")
        } catch {
            touch(error)
        }
    }
    return 0
}
