// Fuzzes Binance's answer readers: `BinanceTickerAnswer` (GET /api/v3/ticker/24hr), `BinanceKlines`
// (GET /api/v3/klines), and the error check `BinanceErrors` they share.
//
// Selector (byte 1): bit 0 picks ticker (0) or klines (1); the rest picks the symbols asked.
//
// Promises checked, beyond those of every reader (Support/Exchange.swift):
// - "Every entry names its symbol, which is checked": a quote for a symbol comes from an entry
//   whose `symbol` is that symbol, with that entry's `lastPrice`;
// - klines are minute candles (`closeTime` one minute after the open, less a millisecond).
@testable import QuoteSources
import MetricsCore

private let tickerAsks = [["BTCUSDT"], ["BTCUSDT", "ETHUSDT"], ["BNBBTC"], ["ETHUSDT", "BTCUSDT", "LTCUSDT"]]
private let klineSymbols = ["BTCUSDT", "ETHUSDT"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinance(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let choice = input.selector >> 1
    if input.selector & 1 == 0 {
        let symbols = tickerAsks[choice % tickerAsks.count]
        do {
            let answer = try BinanceTickerAnswer(status: input.status, body: input.body, asked: symbols)
            let document = try? JSONParser.parse(input.body)
            let entries = document.map { $0.array ?? [$0] } ?? []
            for symbol in symbols {
                do {
                    let quote = try answer.quote(for: symbol)
                    checkQuote(quote, epochTime: true, "Binance ticker for \(symbol): \(shown(input.body))")
                    let named = entries.filter { $0["symbol"]?.string == symbol }
                    invariant(!named.isEmpty, "a quote for \(symbol) from an answer with no entry naming it: \(shown(input.body))")
                    invariant(
                        named.contains { (try? $0["lastPrice"].decimal("lastPrice")) == quote.price },
                        "the quote for \(symbol) has price \(quote.price), which no entry naming it has: \(shown(input.body))")
                } catch {
                    touch(error)
                }
            }
        } catch {
            touch(error)
        }
    } else {
        let symbol = klineSymbols[choice % klineSymbols.count]
        do {
            let candles = try BinanceKlines.parse(status: input.status, body: input.body, symbol: symbol)
            checkCandles(candles, period: .seconds(60), sorted: false, "Binance klines \(symbol): \(shown(input.body))")
        } catch {
            touch(error)
        }
    }
    return 0
}
