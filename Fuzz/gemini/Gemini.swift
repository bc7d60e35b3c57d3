// Fuzzes Gemini's answer readers: `GeminiTicker` (GET /v1/pubticker/{symbol}), `GeminiCandles`
// (GET /v2/candles/{symbol}/{frame}) and `GeminiErrors`.
//
// Selector (byte 1): bit 0 picks ticker (0) or candles (1); the rest the pair (and time frame).
//
// Promises checked, beyond those of every reader (Support/Exchange.swift):
// - "The currency codes in `volume` name the market, so they are checked against the pair asked":
//   a quote comes only from an answer whose `volume` names no currency or both of the pair's, and
//   its volume is `volume.<BASE>`;
// - candles are the time frame long and returned oldest first.
@testable import QuoteSources
import MetricsCore

private let pairs = [pair("BTCUSD"), pair("BTCUSDT"), pair("ETHUSD")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGemini(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let choice = input.selector >> 1
    let pair = pairs[choice % pairs.count]
    if input.selector & 1 == 0 {
        do {
            let quote = try GeminiTicker.quote(status: input.status, body: input.body, pair: pair)
            checkQuote(quote, epochTime: true, "Gemini ticker for \(pair): \(shown(input.body))")
            let volume = (try? JSONParser.parse(input.body))?["volume"]?.object ?? [:]
            let currencies = Set(volume.keys).subtracting(["timestamp"])
            invariant(
                currencies.isEmpty || (currencies.contains(pair.base) && currencies.contains(pair.quote)),
                "a quote for \(pair) from an answer whose volume names \(currencies.sorted())")
            invariant((try? volume[pair.base].decimal("v")) == quote.volume, "volume \(quote.volume) is not volume.\(pair.base)")
        } catch {
            touch(error)
        }
    } else {
        let frame = GeminiTimeFrame.allCases[(choice / pairs.count) % GeminiTimeFrame.allCases.count]
        do {
            let candles = try GeminiCandles.parse(
                status: input.status, body: input.body, symbol: GeminiUpstream.symbol(pair), frame: frame)
            checkCandles(candles, period: frame.period, sorted: true, "Gemini candles \(pair) \(frame.rawValue): \(shown(input.body))")
            _ = GeminiCandles.reaches(candles, back: Timestamp(secondsSince1970: 1_700_000_000))
        } catch {
            touch(error)
        }
    }
    return 0
}
