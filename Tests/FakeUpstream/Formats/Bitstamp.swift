import Hummingbird

/// Bitstamp's public REST API v2 (www.bitstamp.net/api; payloads in reference/upstream-payloads/bitstamp),
/// every value a string:
///
/// - `GET /api/v2/ticker/{btcusd}/`: `{"timestamp" (epoch seconds),"open","high","low","last","volume",
///   "vwap","bid","ask","side","open_24","percent_change_24"}`; `GET /api/v2/ticker/`: an array of
///   every market, each with `"pair": "BTC/USD"` as well.
/// - `GET /api/v2/ohlc/{btcusd}/?step=&limit=&start=&end=`: `{"data":{"pair":"BTC/USD","ohlc":[{"timestamp",
///   "open","high","low","close","volume"},...]}}`, oldest first, timestamp the candle's open;
///   `step` in seconds (60 180 300 900 1800 3600 7200 14400 21600 43200 86400 259200), `limit`
///   1...1000 (the fake takes a missing limit as 1000). With `start`, candles from there on;
///   otherwise the latest up to `end` or now.
///
/// An unknown pair is a 404; its body here (`{"code":"404","message":"Not Found"}`) is not taken
/// from a capture.
enum BitstampFormat {
    static let steps: Set<Int64> = [60, 180, 300, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400, 259_200]
    static let notFound = Answer(status: 404, body: #"{"code":"404","message":"Not Found"}"#)

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("api/v2/ticker") { request, context in
            try await fake.serve(.quotes(.bitstamp), request, context, pairs: []) { snapshot in
                .ok(JSON.array(snapshot.keys.compactMap { snapshot.view($0) }.map { ticker($0, withPair: true) }))
            }
        }
        router.get("api/v2/ticker/{pair}") { request, context in
            let pair = (context.parameters.get("pair") ?? "").lowercased()
            return try await fake.serve(.quotes(.bitstamp), request, context, pairs: [pair]) { snapshot in
                snapshot.view(pair).map { .ok(ticker($0, withPair: false)) } ?? notFound
            }
        }
        router.get("api/v2/ohlc/{pair}") { request, context in
            let pair = (context.parameters.get("pair") ?? "").lowercased()
            let query = request.uri.queryParameters
            return try await fake.serve(.candles(.bitstamp), request, context, pairs: [pair]) { snapshot in
                ohlc(
                    pair, step: query.get("step").flatMap { Int64($0) }, limit: query.get("limit").map { Int($0) } ?? 1000,
                    start: query.get("start").flatMap { Int64($0) }, end: query.get("end").flatMap { Int64($0) }, snapshot)
            }
        }
    }

    /// `BTC/USD`, as Bitstamp names a pair inside its answers.
    static func displayPair(_ key: String) -> String {
        FakeUpstream.Exchange.bitstamp.assets(of: key).map { "\($0.base)/\($0.quote)" } ?? key.uppercased()
    }

    static func ticker(_ view: MarketView, withPair: Bool) -> String {
        let price = JSON.string(view.priceText())
        return JSON.object([
            ("timestamp", JSON.string(String(view.nowSeconds))),
            ("open", price), ("high", price), ("low", price),
            ("last", view.price(price)),
            ("volume", JSON.string(view.volumeText())),
            ("vwap", price), ("bid", price), ("ask", price), ("side", #""0""#),
            ("open_24", price), ("percent_change_24", #""0.00""#),
            ("pair", withPair ? JSON.string(displayPair(view.key)) : nil),
        ])
    }

    static func ohlc(_ pair: String, step: Int64?, limit: Int?, start: Int64?, end: Int64?, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(pair) else { return notFound }
        guard let step, steps.contains(step), let limit, (1...1000).contains(limit) else {
            return Answer(
                status: 400,
                body: #"{"status":"error","reason":{"__all__":["Invalid step or limit."]},"code":"API0001"}"#)
        }
        let candles = view.candles(period: step, from: start, through: end, limit: limit, keepOldest: start != nil)
        let rows = candles.map { candle in
            JSON.object([
                ("timestamp", JSON.string(String(candle.openTime))),
                ("open", JSON.string(JSON.fixed(candle.open))), ("high", JSON.string(JSON.fixed(candle.high))),
                ("low", JSON.string(JSON.fixed(candle.low))), ("close", view.close(candle) { JSON.string(JSON.fixed($0)) }),
                ("volume", JSON.string(JSON.fixed(candle.volume))),
            ])
        }
        return .ok(#"{"data":{"pair":\#(JSON.string(displayPair(view.key))),"ohlc":\#(JSON.array(rows))}}"#)
    }
}
