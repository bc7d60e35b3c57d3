// Fuzzes Kraken's answer readers: `KrakenTickerAnswer` (GET /0/public/Ticker) and
// `KrakenOHLCAnswer` (GET /0/public/OHLC), with the envelope reader `KrakenResponse`.
//
// Selector (byte 1): bit 0 picks Ticker (0) or OHLC (1); the rest picks the pairs asked (Ticker)
// or the pair and interval (OHLC).
//
// Promises checked, beyond those of every reader (Support/Exchange.swift):
// - a quote for a pair comes from an answer entry whose key names that pair
//   (`KrakenPairNames.answerKey`, or the pair's reading such as `DAI/USD` written as the key), and
//   its price is that entry's `c[0]`: never another pair's;
// - OHLC candles are the interval long, oldest first, none opening after `last`.
@testable import QuoteSources
import MetricsCore

private let tickerAsks: [[CurrencyPair]] = [
    [pair("ETHUSD"), pair("BTCUSD")], [pair("BTCUSD")], [pair("DOGEUSD"), pair("USDTUSD"), pair("MANAUSD")],
    [pair("DAIUSD"), pair("ETHUSD")], [pair("BTCUSDT")], [pair("ETHBTC"), pair("LTCUSD")], [pair("BTCEUR")],
]
private let ohlcPairs = [pair("BTCUSD"), pair("BTCUSDT"), pair("ETHUSD"), pair("DOGEUSD")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKraken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let document = try? JSONParser.parse(input.body)
    if input.selector & 1 == 0 {
        let pairs = tickerAsks[(input.selector >> 1) % tickerAsks.count]
        let asked = pairs.map { KrakenPairNames.requestName(for: $0) }.joined(separator: ",")
        do {
            let answer = try KrakenTickerAnswer(status: input.status, body: input.body, asked: asked)
            for pair in pairs {
                do {
                    let quote = try answer.quote(for: pair)
                    checkQuote(quote, epochTime: false, "Kraken ticker for \(pair): \(shown(input.body))")
                    let result = document?["result"]?.object ?? [:]
                    // The lookup also takes a key written as the pair's reading (`DAI/USD`).
                    let sources = result.filter {
                        KrakenPairNames.answerKey($0.key, isFor: pair) || $0.key == KrakenPairNames.reading(of: pair)
                    }
                    invariant(!sources.isEmpty, "a quote for \(pair) from an answer with no entry for it: \(shown(input.body))")
                    invariant(
                        sources.values.contains { (try? ($0["c"]?[0]).decimal("c")) == quote.price },
                        "the quote for \(pair) has price \(quote.price), which no entry for it has: \(shown(input.body))")
                } catch {
                    touch(error)
                }
            }
        } catch {
            touch(error)
        }
    } else {
        let choice = input.selector >> 1
        let pair = ohlcPairs[choice % ohlcPairs.count]
        let interval = KrakenCandleInterval(minutes: KrakenCandleInterval.offered[(choice / ohlcPairs.count) % KrakenCandleInterval.offered.count])
        do {
            let answer = try KrakenOHLCAnswer(status: input.status, body: input.body, pair: pair, interval: interval)
            checkCandles(answer.committed, period: .seconds(interval.minutes * 60), sorted: true, "Kraken OHLC \(pair): \(shown(input.body))")
            if let last = try? document?["result"]?["last"].epochTime("last", unit: .seconds) {
                invariant(answer.committed.allSatisfy { $0.openTime <= last }, "a committed candle opens after last: \(shown(input.body))")
            }
        } catch {
            touch(error)
        }
    }
    return 0
}
