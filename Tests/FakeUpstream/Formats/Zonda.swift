import Hummingbird

/// Zonda's public REST API (formerly BitBay): `GET /rest/trading/ticker[/{market}]` (price in
/// `rate`, time in `time` as epoch milliseconds in a string) and `GET /rest/trading/stats[/{market}]`
/// (24-hour volume in `v`). Without a market, every market under `items`, keyed by code. Zonda
/// answers 200 even for errors: `{"status":"Fail","errors":["TICKER_NOT_FOUND"]}`. Both are the
/// "quotes" route; the fake serves no Zonda candles.
enum ZondaFormat {
    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        for stats in [false, true] {
            let path = stats ? "rest/trading/stats" : "rest/trading/ticker"
            router.get(RouterPath(path)) { request, context in
                try await fake.serve(.quotes(.zonda), request, context, pairs: []) { answer(market: nil, stats: stats, $0) }
            }
            router.get(RouterPath(path + "/{market}")) { request, context in
                let market = (context.parameters.get("market") ?? "").uppercased()
                return try await fake.serve(.quotes(.zonda), request, context, pairs: [market]) { answer(market: market, stats: stats, $0) }
            }
        }
    }

    static func answer(market: String?, stats: Bool, _ snapshot: Snapshot) -> Answer {
        let key = stats ? "stats" : "ticker"
        if let market {
            guard let view = snapshot.view(market) else { return .ok(#"{"status":"Fail","errors":["TICKER_NOT_FOUND"]}"#) }
            return .ok(#"{"status":"Ok","\#(key)":\#(entry(view, stats: stats))}"#)
        }
        let items = snapshot.keys.compactMap { snapshot.view($0) }.map { "\(JSON.string($0.key)):\(entry($0, stats: stats))" }
        return .ok(#"{"status":"Ok","items":{"# + items.joined(separator: ",") + "}}")
    }

    private static func entry(_ view: MarketView, stats: Bool) -> String {
        let price = JSON.string(view.priceText())
        let code = JSON.string(view.key)
        if stats {
            return JSON.object([
                ("m", code), ("h", price), ("l", price), ("v", JSON.string(view.volumeText())), ("r24h", price),
            ])
        }
        let (base, quote) = FakeUpstream.Exchange.zonda.assets(of: view.key) ?? ("", "")
        return JSON.object([
            (
                "market",
                JSON.object([
                    ("code", code),
                    ("first", #"{"currency":\#(JSON.string(base)),"minOffer":"0.0000015","scale":8}"#),
                    ("second", #"{"currency":\#(JSON.string(quote)),"minOffer":"0.1","scale":2}"#),
                    ("amountPrecision", "8"), ("pricePrecision", "2"), ("ratePrecision", "2"),
                ])
            ),
            ("time", JSON.string(String(view.nowMillis))),
            ("highestBid", price), ("lowestAsk", price),
            ("rate", view.price(price)),
            ("previousRate", price),
        ])
    }
}
