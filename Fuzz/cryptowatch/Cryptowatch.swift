// Fuzzes the Cryptowatch-compatible answer readers: `CryptowatchSummary`
// (GET /markets/{exchange}/{pair}/summary), `CryptowatchOHLC` (…/ohlc) and the envelope reader
// `CryptowatchResponse`.
//
// Selector (byte 1): bit 0 picks summary (0) or OHLC (1); the rest the market.
//
// Promises checked, beyond those of every reader (Support/Exchange.swift): the quote's price is
// `result.price.last`; OHLC candles are minute candles labelled by their close time.
@testable import QuoteSources
import MetricsCore

private let tickers = [try! Ticker(parsing: "KRAKEN:BTCUSD"), try! Ticker(parsing: "BITSTAMP:BTC-EUR")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCryptowatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let ticker = tickers[(input.selector >> 1) % tickers.count]
    if input.selector & 1 == 0 {
        do {
            let quote = try CryptowatchSummary.quote(status: input.status, body: input.body, ticker: ticker)
            checkQuote(quote, epochTime: false, "Cryptowatch summary for \(ticker): \(shown(input.body))")
            let last = try? ((try? JSONParser.parse(input.body))?["result"]?["price"]?["last"]).decimal("last")
            invariant(last == quote.price, "price \(quote.price), but result.price.last is \(String(describing: last))")
        } catch {
            touch(error)
        }
    } else {
        do {
            let candles = try CryptowatchOHLC.parse(status: input.status, body: input.body, ticker: ticker)
            checkCandles(candles, period: .seconds(60), sorted: false, "Cryptowatch OHLC \(ticker): \(shown(input.body))")
        } catch {
            touch(error)
        }
    }
    return 0
}
