import Hummingbird

/// The Cryptowatch REST API (shut down in 2023; self-hosted endpoints still speak it; payloads in
/// reference/upstream-payloads/cryptowatch), every value a number:
///
/// - `GET /markets/{exchange}/{pair}/summary`: `{"result":{"price":{"last","high","low","change":{..}},
///   "volume","volumeQuote"},"allowance":{..}}`. Unknown market: 404 `{"error":"Instrument not found",...}`.
/// - `GET /markets/{exchange}/{pair}/ohlc?periods=60,3600&after=&before=`: `{"result":{"60":[[closeTime,
///   open, high, low, close, volume, quoteVolume],...]},"allowance":{..}}`, oldest first, time the
///   candle's close in seconds, the last row the candle still open; `after`/`before` bound close
///   times. Periods 60 180 300 900 1800 3600 7200 14400 21600 43200 86400 (default 60). The fake
///   returns at most 1000 rows per period: the oldest from `after` when given, else the newest.
///
/// Markets are keyed `exchange:pair` (`kraken:btcusd`).
enum CryptowatchFormat {
    static let periods: Set<Int64> = [60, 180, 300, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400]
    static let maximumRows = 1000
    static let allowance = #""allowance":{"cost":4203390,"remaining":3898415262}"#
    static let notFound = Answer(
        status: 404, body: #"{"error":"Instrument not found","allowance":{"cost":0,"remaining":1000}}"#)

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("markets/{exchange}/{pair}/summary") { request, context in
            let key = marketKey(context)
            return try await fake.serve(.quotes(.cryptowatch), request, context, pairs: [key]) { snapshot in
                snapshot.view(key).map { .ok(summary($0)) } ?? notFound
            }
        }
        router.get("markets/{exchange}/{pair}/ohlc") { request, context in
            let key = marketKey(context)
            let query = request.uri.queryParameters
            return try await fake.serve(.candles(.cryptowatch), request, context, pairs: [key]) { snapshot in
                ohlc(
                    key, periods: query.get("periods") ?? "60", after: query.get("after").flatMap { Int64($0) },
                    before: query.get("before").flatMap { Int64($0) }, snapshot)
            }
        }
    }

    private static func marketKey(_ context: FakeRequestContext) -> String {
        "\(context.parameters.get("exchange") ?? ""):\(context.parameters.get("pair") ?? "")".lowercased()
    }

    static func summary(_ view: MarketView) -> String {
        let market = view.market
        let price = JSON.number(market.price)
        let priceObject = JSON.object([
            ("last", view.price(price)), ("high", price), ("low", price),
            ("change", #"{"percentage":0.001,"absolute":1}"#),
        ])
        let result = JSON.object([
            ("price", priceObject), ("volume", JSON.number(market.volume)),
            ("volumeQuote", JSON.number(market.price * market.volume)),
        ])
        return #"{"result":\#(result),\#(allowance)}"#
    }

    static func ohlc(_ key: String, periods: String, after: Int64?, before: Int64?, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(key) else { return notFound }
        var series: [String] = []
        for text in periods.split(separator: ",") {
            guard let period = Int64(text), Self.periods.contains(period) else {
                return Answer(status: 400, body: #"{"error":"Invalid periods","# + allowance + "}")
            }
            // after/before bound close times; candles are selected by open time, a period earlier.
            let rows = view.candles(
                period: period, from: after.map { $0 - period }, through: before.map { $0 - period }, limit: maximumRows,
                keepOldest: after != nil
            ).map { candle in
                JSON.array([
                    String(candle.closeTime), JSON.number(candle.open), JSON.number(candle.high), JSON.number(candle.low),
                    view.close(candle, JSON.number), JSON.number(candle.volume), JSON.number(candle.quoteVolume),
                ])
            }
            series.append("\(JSON.string(String(period))):\(JSON.array(rows))")
        }
        return .ok(#"{"result":{"# + series.joined(separator: ",") + "}," + allowance + "}")
    }
}
