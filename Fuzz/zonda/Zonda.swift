// Fuzzes Zonda's answer reader `ZondaAnswer` (GET /rest/trading/ticker[/{market}] and
// /rest/trading/stats[/{market}]), combined as `ZondaUpstream.quotes` combines the two answers.
//
// Input: the ticker answer's body, then optionally a NUL byte and the stats answer's body (JSON
// has no raw NUL); without one, the same body answers both. Selector (byte 1): the markets asked.
//
// Promises checked, beyond those of every reader (Support/Exchange.swift): "one market's numbers
// never stand in for another's": a quote for a market comes from `items[market]`, or from a
// one-market answer naming that market (`ticker.market.code`, `stats.m`).
@testable import QuoteSources
import MetricsCore

private let asks = [["BTC-PLN"], ["BTC-USDT"], ["BTC-PLN", "ETH-PLN", "BTC-USDT"], ["LTC-USD", "BTC-USD"]]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZonda(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = ExchangeInput(data, size) else { return 0 }
    let markets = asks[input.selector % asks.count]
    let split = input.body.firstIndex(of: 0)
    let tickerBody = UnsafeBufferPointer(rebasing: input.body[..<(split ?? input.body.endIndex)])
    let statsBody = split.map { UnsafeBufferPointer(rebasing: input.body[($0 + 1)...]) } ?? tickerBody
    let prices = Result { () throws(UpstreamError) in try ZondaAnswer(status: input.status, body: tickerBody, key: "ticker") }
    let volumes = Result { () throws(UpstreamError) in try ZondaAnswer(status: input.status, body: statsBody, key: "stats") }
    for market in markets {
        do throws(UpstreamError) {
            let priceEntry = try prices.get().entry(for: market)
            let volumeEntry = try volumes.get().entry(for: market)
            let quote = try Quote(price: priceEntry["rate"].decimal("ticker.rate"), volume: volumeEntry["v"].decimal("stats.v"))
            checkQuote(quote, epochTime: false, "Zonda \(market): \(shown(input.body))")
            checkNamed(market, tickerBody, key: "ticker")
            checkNamed(market, statsBody, key: "stats")
        } catch {
            touch(error)
        }
    }
    return 0
}

/// The answer has the market under `items`, or is a one-market answer that names it.
private func checkNamed(_ market: String, _ body: UnsafeBufferPointer<UInt8>, key: String) {
    guard let document = try? JSONParser.parse(body) else { fatalError("invariant violated: a quote from a body that is not JSON") }
    if let items = document["items"]?.object {
        invariant(items[market]?.object != nil, "a quote for \(market) from items without it: \(shown(body))")
    } else {
        let single = document[key]
        let code = single?["market"]?["code"]?.string ?? single?["m"]?.string
        invariant(code == market, "a quote for \(market) from a \(key) answer for \(String(describing: code)): \(shown(body))")
    }
}
