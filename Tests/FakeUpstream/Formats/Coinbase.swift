import Foundation
import Hummingbird

/// Coinbase Exchange's public REST API (docs.cdp.coinbase.com/exchange; payloads in
/// reference/upstream-payloads/coinbase-exchange):
///
/// - `GET /products/{BASE-QUOTE}/ticker`: `{"ask","bid","volume","trade_id","price","size","time","rfq_volume"}`,
///   amounts as strings, `trade_id` a number, `time` RFC 3339 with a fraction. Unknown product:
///   404 `{"message":"NotFound"}`.
/// - `GET /products/{id}/candles?granularity=&start=&end=`: rows `[time, low, high, open, close, volume]`,
///   all numbers, newest first, time the candle's open in seconds, at most 300 rows; a range of
///   more than 300 candles is a 400. `granularity` is 60, 300, 900, 3600, 21600 or 86400 seconds
///   (default 60); `start`/`end` are RFC 3339 or epoch seconds, and count only when both are given.
enum CoinbaseFormat {
    static let granularities: Set<Int64> = [60, 300, 900, 3600, 21_600, 86_400]
    static let maximumRows = 300
    static let notFound = Answer(status: 404, body: #"{"message":"NotFound"}"#)

    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("products/{product}/ticker") { request, context in
            let product = (context.parameters.get("product") ?? "").uppercased()
            return try await fake.serve(.quotes(.coinbase), request, context, pairs: [product]) { ticker(product, $0) }
        }
        router.get("products/{product}/candles") { request, context in
            let product = (context.parameters.get("product") ?? "").uppercased()
            let query = request.uri.queryParameters
            return try await fake.serve(.candles(.coinbase), request, context, pairs: [product]) { snapshot in
                candles(
                    product, granularity: query.get("granularity").map { Int64($0) } ?? 60,
                    start: query.get("start").flatMap(epochSeconds), end: query.get("end").flatMap(epochSeconds), snapshot)
            }
        }
    }

    static func ticker(_ product: String, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(product) else { return notFound }
        let price = JSON.string(view.market.priceText ?? JSON.number(view.market.price))
        return .ok(
            JSON.object([
                ("ask", price), ("bid", price),
                ("volume", JSON.string(view.market.volumeText ?? JSON.number(view.market.volume))),
                ("trade_id", String(view.nowSeconds % 1_000_000_000)),
                ("price", view.price(price)),
                ("size", #""0.00782662""#),
                ("time", JSON.string(rfc3339(view.now))),
                ("rfq_volume", #""31.625279""#),
            ]))
    }

    static func candles(_ product: String, granularity: Int64?, start: Int64?, end: Int64?, _ snapshot: Snapshot) -> Answer {
        guard let view = snapshot.view(product) else { return notFound }
        guard let granularity, granularities.contains(granularity) else {
            return Answer(status: 400, body: #"{"message":"Unsupported granularity"}"#)
        }
        var from: Int64?
        var through: Int64?
        if let start, let end {
            guard end >= start else { return Answer(status: 400, body: #"{"message":"start must be before end"}"#) }
            guard (end - start) / granularity + 1 <= maximumRows else {
                return Answer(
                    status: 400,
                    body: #"{"message":"granularity too small for the requested time range. Count of aggregations requested exceeds 300"}"#)
            }
            (from, through) = (start, end)
        }
        let rows = view.candles(period: granularity, from: from, through: through, limit: maximumRows).reversed().map { candle in
            JSON.array([
                String(candle.openTime), JSON.number(candle.low), JSON.number(candle.high), JSON.number(candle.open),
                view.close(candle, JSON.number), JSON.number(candle.volume),
            ])
        }
        return .ok(JSON.array(rows))
    }

    /// Epoch seconds from RFC 3339 (`2026-06-19T16:43:33.016Z`) or a plain number.
    static func epochSeconds(_ text: String) -> Int64? {
        if let seconds = Double(text) { return Int64(seconds) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }

    /// `2026-06-19T16:43:33.016274Z`: RFC 3339 in UTC with microseconds, as Coinbase sends.
    static func rfc3339(_ seconds: Double) -> String {
        let whole = seconds.rounded(.down)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let text = formatter.string(from: Date(timeIntervalSince1970: whole))
        let micros = Int(((seconds - whole) * 1_000_000).rounded(.down))
        return text.dropLast() + "." + String(format: "%06d", micros) + "Z"
    }
}
