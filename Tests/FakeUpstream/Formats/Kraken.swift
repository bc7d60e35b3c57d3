import Hummingbird

/// Kraken's public REST API (docs.kraken.com; payloads in reference/upstream-payloads/kraken):
///
/// - `GET /0/public/Ticker?pair=XBTUSD,ETHUSD`: `{"error":[],"result":{"XXBTZUSD":{"a":..,"c":[last, lot],
///   "v":[today, 24h],...}}}`, all values strings, keyed in Kraken's own style (`XXBTZUSD` for
///   XBTUSD, `XDGUSD` for XDGUSD, `USDTZUSD` for USDTUSD). One unknown pair fails the whole
///   request with 200 `{"error":["EQuery:Unknown asset pair"]}` and no `result`.
/// - `GET /0/public/OHLC?pair=XBTUSD&interval=1&since=`: the latest 720 candles at most (Kraken
///   keeps no more, whatever `since` says), rows `[time, open, high, low, close, vwap, volume, count]`
///   with `time` the candle's open in seconds, the last row the candle still open, and `"last"`
///   the open time of the last committed candle. `interval` is minutes: 1, 5, 15, 30, 60, 240,
///   1440, 10080, 21600; anything else is `EGeneral:Invalid arguments`.
///
/// Amounts are sent with 8 decimals so that generated values read back exactly.
enum KrakenFormat {
    static let intervals: Set<Int64> = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600]
    static let maximumRows = 720
    static let unknownPair = #"{"error":["EQuery:Unknown asset pair"]}"#

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("0/public/Ticker") { request, context in
            let asked = (request.uri.queryParameters.get("pair") ?? "").split(separator: ",").map { String($0).uppercased() }
            return try await fake.serve(.quotes(.kraken), request, context, pairs: asked) { snapshot in
                ticker(asked, snapshot)
            }
        }
        router.get("0/public/OHLC") { request, context in
            let pair = (request.uri.queryParameters.get("pair") ?? "").uppercased()
            return try await fake.serve(.candles(.kraken), request, context, pairs: [pair]) { snapshot in
                ohlc(
                    pair, interval: Int64(request.uri.queryParameters.get("interval") ?? "1"),
                    since: request.uri.queryParameters.get("since").flatMap { Int64($0) }, snapshot)
            }
        }
    }

    /// The market a requested name means: its request name, or its answer key (Kraken takes both).
    static func marketKey(_ asked: String, _ snapshot: Snapshot) -> String? {
        if snapshot.markets[asked] != nil { return asked }
        return snapshot.markets.first { answerKey($0.key, $0.value) == asked }?.key
    }

    static func ticker(_ asked: [String], _ snapshot: Snapshot) -> Answer {
        var entries: [String] = []
        for name in asked {
            guard let key = marketKey(name, snapshot), let view = snapshot.view(key) else { return .ok(unknownPair) }
            let price = JSON.string(view.priceText())
            let volume = JSON.string(view.volumeText())
            let entry = JSON.object([
                ("a", JSON.array([price, #""1""#, #""1.000""#])),
                ("b", JSON.array([price, #""2""#, #""2.000""#])),
                ("c", view.price(price).map { JSON.array([$0, #""0.00702654""#]) }),
                ("v", JSON.array([volume, volume])),
                ("p", JSON.array([price, price])),
                ("t", "[25646,28278]"),
                ("l", JSON.array([price, price])),
                ("h", JSON.array([price, price])),
                ("o", price),
            ])
            entries.append("\(JSON.string(answerKey(view.key, view.market))):\(entry)")
        }
        return .ok(#"{"error":[],"result":{"# + entries.joined(separator: ",") + "}}")
    }

    static func ohlc(_ asked: String, interval: Int64?, since: Int64?, _ snapshot: Snapshot) -> Answer {
        guard let key = marketKey(asked, snapshot), let view = snapshot.view(key) else { return .ok(unknownPair) }
        guard let interval, intervals.contains(interval) else { return .ok(#"{"error":["EGeneral:Invalid arguments"]}"#) }
        let period = interval * 60
        var candles = view.candles(period: period, limit: maximumRows)
        if let since { candles.removeAll { $0.openTime <= since } }
        let rows = candles.map { candle in
            JSON.array([
                String(candle.openTime), JSON.string(JSON.fixed(candle.open)), JSON.string(JSON.fixed(candle.high)),
                JSON.string(JSON.fixed(candle.low)), view.close(candle) { JSON.string(JSON.fixed($0)) },
                JSON.string(JSON.fixed(candle.vwap)), JSON.string(JSON.fixed(candle.volume)), String(candle.trades),
            ])
        }
        let current = MarketView.alignDown(view.nowSeconds, period)
        let last = candles.last.map { min($0.openTime, current - period) } ?? since ?? current - period
        return .ok(
            #"{"error":[],"result":{"# + JSON.string(answerKey(view.key, view.market)) + ":" + JSON.array(rows) + #","last":\#(last)}}"#)
    }

    /// Kraken's older assets, which its answer keys prefix with X (crypto) or Z (fiat).
    private static let legacyAssets: Set<String> = ["XBT", "ETH", "LTC", "XRP", "XLM", "ETC", "XMR", "ZEC", "MLN", "REP"]
    private static let legacyFiat: Set<String> = ["USD", "EUR", "GBP", "JPY", "CAD"]

    /// The key Kraken answers `key` under: the one the caller gave, or Kraken's style
    /// (`XXBTZUSD` for XBTUSD, `USDTZUSD` for USDTUSD, `DAIUSD` for DAIUSD).
    static func answerKey(_ key: String, _ market: FakeUpstream.Market) -> String {
        if let named = market.answerKey { return named }
        guard let (base, quote) = FakeUpstream.Exchange.kraken.assets(of: key), legacyFiat.contains(quote) else { return key }
        if legacyAssets.contains(base) { return "X\(base)Z\(quote)" }
        if base == "USDT" { return "USDTZ\(quote)" }
        return key
    }

    /// The request name of an answer key: `XXBTZUSD` → `XBTUSD`, `USDTZUSD` → `USDTUSD`, `XDGUSD` unchanged.
    static func requestName(ofAnswerKey key: String) -> String {
        let key = key.uppercased()
        for fiat in legacyFiat where key.hasSuffix("Z" + fiat) && key.count > 4 + 3 {
            let base = String(key.dropLast(4))
            let asset = base.count == 4 && base.hasPrefix("X") ? String(base.dropFirst()) : base
            return asset + fiat
        }
        return key
    }
}
