// Fuzzes Bitstamp's answer readers: `BitstampTickerAnswer` (GET /api/v2/ticker/{pair}/ and
// /api/v2/ticker/ for every market), `BitstampOHLC` (GET /api/v2/ohlc/{pair}/) and `BitstampErrors`.
//
// Selector (byte 1): bit 0 picks ticker (0) or OHLC (1); bit 1 one market asked or every market
// (ticker); the rest the pair.
//
// Promises checked, beyond those of every reader (Support/Exchange.swift):
// - "A pair named in the answer is checked against the pair asked": a quote from a one-market
//   answer naming a pair comes only when that pair is the one asked; from an every-market answer
//   only from an entry whose `pair` is the pair, with that entry's `last`;
// - OHLC candles are minute candles.
@testable import QuoteSources
import MetricsCore

private let pairs = [pair("BTCUSD"), pair("BTCUSDT"), pair("ETHUSD"), pair("LTCUSD"), pair("BTCEUR")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBitstamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let pair = pairs[(input.selector >> 2) % pairs.count]
    let name = BitstampPairName.of(pair)
    if input.selector & 1 == 0 {
        let single = input.selector & 2 == 0
        do {
            let answer = try BitstampTickerAnswer(status: input.status, body: input.body, asked: single ? name : "every market")
            let quote = try answer.quote(for: pair)
            checkQuote(quote, epochTime: true, "Bitstamp ticker for \(name): \(shown(input.body))")
            let document = try? JSONParser.parse(input.body)
            if let list = document?.array {
                let named = list.filter { $0["pair"]?.string?.uppercased() == name }
                invariant(!named.isEmpty, "a quote for \(name) from an every-market answer with no entry for it: \(shown(input.body))")
                invariant(
                    named.contains { (try? $0["last"].decimal("last")) == quote.price },
                    "the quote for \(name) has price \(quote.price), which no entry for it has: \(shown(input.body))")
            } else if let answered = document?["pair"]?.string {
                invariant(answered.uppercased() == name, "a quote for \(name) from an answer for \(answered): \(shown(input.body))")
            }
        } catch {
            touch(error)
        }
    } else {
        do {
            let candles = try BitstampOHLC.parse(status: input.status, body: input.body, pair: pair)
            checkCandles(candles, period: .seconds(60), sorted: false, "Bitstamp OHLC \(name): \(shown(input.body))")
            if let answered = (try? JSONParser.parse(input.body))?["data"]?["pair"]?.string {
                invariant(answered.uppercased() == name, "candles for \(name) from an answer for \(answered)")
            }
        } catch {
            touch(error)
        }
    }
    return 0
}
