import Hummingbird

/// Gemini's public REST API (developer.gemini.com; payloads in reference/upstream-payloads/gemini):
///
/// - `GET /v1/pubticker/{btcusd}`: `{"bid","ask","last","volume":{"BTC": base volume, "USD": quote
///   volume, "timestamp": epoch ms}}`, amounts as strings. Unknown symbol: 400
///   `{"result":"error","reason":"InvalidSymbol","message":...}`.
/// - `GET /v2/candles/{btcusd}/{1m|5m|15m|30m|1hr|6hr|1day}`: rows `[ms, open, high, low, close, volume]`,
///   numbers, newest first, time the candle's open; no paging parameters at all. Gemini does not
///   document how many rows it returns; the fake always returns the latest 1440 (a day of 1m
///   candles, which is what public 1m answers are reported to cover), fewer only where the
///   market's history is shorter.
enum GeminiFormat {
    static let timeFrames: [String: Int64] = ["1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1hr": 3600, "6hr": 21_600, "1day": 86_400]
    static let rows = 1440

    static func invalidSymbol(_ symbol: String) -> Answer {
        Answer(
            status: 400,
            body: #"{"result":"error","reason":"InvalidSymbol","message":"Supplied value '\#(symbol)' is not a valid symbol"}"#)
    }

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("v1/pubticker/{symbol}") { request, context in
            let symbol = (context.parameters.get("symbol") ?? "").lowercased()
            return try await fake.serve(.quotes(.gemini), request, context, pairs: [symbol]) { snapshot in
                snapshot.view(symbol).map { .ok(ticker($0)) } ?? invalidSymbol(symbol)
            }
        }
        router.get("v2/candles/{symbol}/{frame}") { request, context in
            let symbol = (context.parameters.get("symbol") ?? "").lowercased()
            let frame = context.parameters.get("frame") ?? ""
            return try await fake.serve(.candles(.gemini), request, context, pairs: [symbol]) { snapshot in
                candles(symbol, frame: frame, snapshot)
            }
        }
    }

    static func ticker(_ view: MarketView) -> String {
        let price = JSON.string(view.priceText())
        let (base, quote) = FakeUpstream.Exchange.gemini.assets(of: view.key) ?? ("BASE", "QUOTE")
        let volume = JSON.object([
            (base, JSON.string(view.volumeText())),
            (quote, JSON.string(JSON.fixed(view.market.volume * view.market.price))),
            ("timestamp", String(view.nowMillis)),
        ])
        return JSON.object([("bid", price), ("ask", price), ("last", view.price(price)), ("volume", volume)])
    }

    static func candles(_ symbol: String, frame: String, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(symbol) else { return invalidSymbol(symbol) }
        guard let period = timeFrames[frame] else {
            return Answer(
                status: 400,
                body: #"{"result":"error","reason":"InvalidTimeFrame","message":"Supplied value '\#(frame)' is not a valid time frame"}"#)
        }
        let rows = view.candles(period: period, limit: rows).reversed().map { candle in
            JSON.array([
                String(candle.openTime * 1000), JSON.number(candle.open), JSON.number(candle.high), JSON.number(candle.low),
                view.close(candle, JSON.number), JSON.number(candle.volume),
            ])
        }
        return .ok(JSON.array(rows))
    }
}
