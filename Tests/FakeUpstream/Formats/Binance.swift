import Foundation
import Hummingbird

/// Binance's public REST API (binance-spot-api-docs rest-api.md; payloads in
/// reference/upstream-payloads/binance):
///
/// - `GET /api/v3/ticker/24hr?symbol=BTCUSDT` (one object) or `?symbols=["BTCUSDT","ETHUSDT"]`
///   (a URL-encoded JSON array; an array of objects, as is no parameter at all: every market).
///   The full shape: amounts as strings, `openTime`/`closeTime` in epoch milliseconds (a rolling
///   24 hours ending now), ids and `count` as numbers. Any unknown symbol fails the request with
///   400 `{"code":-1121,"msg":"Invalid symbol."}`.
/// - `GET /api/v3/klines?symbol=&interval=1m&startTime=&endTime=&limit=`: 12-field rows
///   `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
///   "takerBuyBase", "takerBuyQuote", "0"]`, oldest first, `closeTime = openTime + interval − 1 ms`,
///   the last row the candle still open. `limit` defaults to 500, at most 1000 (more is a 400).
///   With `startTime`, candles from there on; otherwise the latest ones up to `endTime` or now.
///   Intervals 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d (3d, 1w and 1M are not served).
enum BinanceFormat {
    static let intervals: [String: Int64] = [
        "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14_400,
        "6h": 21_600, "8h": 28_800, "12h": 43_200, "1d": 86_400,
    ]
    static let invalidSymbol = Answer(status: 400, body: #"{"code":-1121,"msg":"Invalid symbol."}"#)

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("api/v3/ticker/24hr") { request, context in
            let query = request.uri.queryParameters
            let single = query.get("symbol").map { $0.uppercased() }
            let listed = query.get("symbols").map(symbolList)
            let pairs = single.map { [$0] } ?? (listed ?? nil) ?? []
            return try await fake.serve(.quotes(.binance), request, context, pairs: pairs) { snapshot in
                if let single { return ticker([single], snapshot, single: true) }
                guard let listed else { return ticker(snapshot.keys, snapshot, single: false) }
                guard let symbols = listed else {
                    return Answer(status: 400, body: #"{"code":-1100,"msg":"Illegal characters found in parameter 'symbols'."}"#)
                }
                return ticker(symbols, snapshot, single: false)
            }
        }
        router.get("api/v3/klines") { request, context in
            let query = request.uri.queryParameters
            let symbol = (query.get("symbol") ?? "").uppercased()
            return try await fake.serve(.candles(.binance), request, context, pairs: [symbol]) { snapshot in
                klines(
                    symbol, interval: query.get("interval") ?? "", start: query.get("startTime").flatMap { Int64($0) },
                    end: query.get("endTime").flatMap { Int64($0) }, limit: query.get("limit").map { Int($0) } ?? 500, snapshot)
            }
        }
    }

    /// The symbols of `["BTCUSDT","ETHUSDT"]` (already URL-decoded), nil when it is not such a list.
    static func symbolList(_ text: String) -> [String]? {
        guard let data = text.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [String] else {
            return nil
        }
        return list.map { $0.uppercased() }
    }

    static func ticker(_ symbols: [String], _ snapshot: Snapshot, single: Bool) -> Answer {
        var objects: [String] = []
        for symbol in symbols {
            guard let view = snapshot.view(symbol) else { return invalidSymbol }
            objects.append(tickerObject(view))
        }
        return .ok(single ? objects[0] : JSON.array(objects))
    }

    private static func tickerObject(_ view: MarketView) -> String {
        let market = view.market
        let price = JSON.string(view.priceText())
        let close = view.nowMillis
        return JSON.object([
            ("symbol", JSON.string(view.key)),
            ("priceChange", #""0.00000000""#), ("priceChangePercent", #""0.000""#),
            ("weightedAvgPrice", price), ("prevClosePrice", price),
            ("lastPrice", view.price(price)),
            ("lastQty", #""0.00610000""#),
            ("bidPrice", price), ("bidQty", #""0.11775000""#), ("askPrice", price), ("askQty", #""0.00010000""#),
            ("openPrice", price), ("highPrice", price), ("lowPrice", price),
            ("volume", JSON.string(view.volumeText())),
            ("quoteVolume", JSON.string(JSON.fixed(market.volume * market.price))),
            ("openTime", String(close - 86_400_000)), ("closeTime", String(close)),
            ("firstId", "28385"), ("lastId", "28460"), ("count", "76"),
        ])
    }

    static func klines(_ symbol: String, interval: String, start: Int64?, end: Int64?, limit: Int?, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(symbol) else { return invalidSymbol }
        guard let period = intervals[interval] else { return Answer(status: 400, body: #"{"code":-1120,"msg":"Invalid interval."}"#) }
        guard let limit, (1...1000).contains(limit) else {
            return Answer(status: 400, body: #"{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}"#)
        }
        // startTime and endTime are in milliseconds; a candle counts if it opens inside them.
        let from = start.map { ($0 + 999) / 1000 }
        let through = end.map { $0 / 1000 }
        let candles = view.candles(period: period, from: from, through: through, limit: limit, keepOldest: start != nil)
        let rows = candles.map { candle in
            let quote = JSON.string(JSON.fixed(candle.quoteVolume))
            return JSON.array([
                String(candle.openTime * 1000), JSON.string(JSON.fixed(candle.open)), JSON.string(JSON.fixed(candle.high)),
                JSON.string(JSON.fixed(candle.low)), view.close(candle) { JSON.string(JSON.fixed($0)) },
                JSON.string(JSON.fixed(candle.volume)), String(candle.closeTime * 1000 - 1), quote, String(candle.trades),
                JSON.string(JSON.fixed(Market.rounded(candle.volume / 2))), JSON.string(JSON.fixed(Market.rounded(candle.quoteVolume / 2))),
                #""0""#,
            ])
        }
        return .ok(JSON.array(rows))
    }
}

private typealias Market = FakeUpstream.Market
