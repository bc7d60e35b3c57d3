import Foundation

/// An exchange's normal answer to one request, before any transport fault changes how it travels.
struct Answer: Sendable {
    var status: Int
    var body: String
    var headers: [(String, String)] = []

    static func ok(_ body: String) -> Answer { Answer(status: 200, body: body) }
}

/// Builds JSON text by hand, so that a field can carry any raw text a data fault injects, and
/// numbers keep the exact form the exchange sends.
enum JSON {
    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// An object of the fields whose value (raw JSON) is not nil, in order.
    static func object(_ fields: [(String, String?)]) -> String {
        "{" + fields.compactMap { key, value in value.map { "\(string(key)):\($0)" } }.joined(separator: ",") + "}"
    }

    /// An array of raw JSON items; nil items are left out.
    static func array(_ items: [String?]) -> String { "[" + items.compactMap { $0 }.joined(separator: ",") + "]" }

    /// A decimal with a fixed number of places, as most exchanges write amounts: `64000.00000000`.
    static func fixed(_ value: Double, places: Int = 8) -> String { String(format: "%.\(places)f", value) }

    /// The shortest text that reads back as `value`, integers without a fraction: `84682`, `63212.97`.
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// What one request's answer is built from: the exchange's markets at the moment of the request,
/// the time, and the data faults that fired for it.
struct Snapshot: Sendable {
    let exchange: FakeUpstream.Exchange
    let markets: [String: FakeUpstream.Market]
    let dataFaults: [FakeUpstream.FaultRule]
    /// Seconds since the epoch, with a fraction.
    let now: Double

    /// Every market key, sorted, for answers about all markets.
    var keys: [String] { markets.keys.sorted() }

    /// How market `key` appears in this answer, its data faults applied; nil for an unknown market.
    func view(_ key: String) -> MarketView? {
        let key = exchange.normalized(key)
        guard var market = markets[key] else { return nil }
        var shown = key
        var age = 0
        var badValue: String?? = .none
        var applied: Set<String> = []
        // Latest rule first: it wins over an older one of the same kind.
        for rule in dataFaults where rule.pairs.includes(key) && applied.insert(rule.fault.kindName).inserted {
            switch rule.fault {
            case .wrongPair: (shown, market) = decoy(for: key, market)
            case .staleQuote(let seconds): age = seconds
            case .badValue(let raw): badValue = .some(raw)
            default: break
            }
        }
        return MarketView(key: shown, market: market, now: now - Double(age), badValue: badValue)
    }

    /// Another market of the exchange, or an invented one (ETH for BTC, BTC for anything else).
    private func decoy(for key: String, _ market: FakeUpstream.Market) -> (String, FakeUpstream.Market) {
        if let other = keys.first(where: { $0 != key }) { return (other, markets[other]!) }
        let (base, quote) = exchange.assets(of: key) ?? ("BTC", "USD")
        let name = exchange.marketKey(base: base == "BTC" ? "ETH" : "BTC", quote: quote)
        var fake = FakeUpstream.Market(price: FakeUpstream.Market.rounded(market.price / 20), volume: market.volume * 10)
        fake.historyDepth = market.historyDepth
        return (name, fake)
    }
}

/// One market as an answer shows it: its name, values and clock, after data faults.
struct MarketView: Sendable {
    /// The market key the answer names: another market's under a wrong-pair fault.
    let key: String
    let market: FakeUpstream.Market
    /// The exchange's "now" for this market, epoch seconds: in the past under a stale-quote fault.
    let now: Double
    /// `.some(raw)` when a bad-value fault replaces the price with raw JSON (`.some(nil)`: left out).
    let badValue: String??

    /// The price field's JSON: `normal` unless a bad-value fault replaces or removes it.
    func price(_ normal: String) -> String? {
        switch badValue {
        case .none: normal
        case .some(let raw): raw
        }
    }

    /// The price as the exchange's decimal string, exactly as a legacy setter gave it if it did.
    func priceText(places: Int = 8) -> String { market.priceText ?? JSON.fixed(market.price, places: places) }
    func volumeText(places: Int = 8) -> String { market.volumeText ?? JSON.fixed(market.volume, places: places) }

    var nowSeconds: Int64 { Int64(now.rounded(.down)) }
    var nowMillis: Int64 { Int64((now * 1000).rounded(.down)) }

    /// Candles of `period` seconds opening in `from...through` (epoch seconds, either open-ended),
    /// clipped to the market's history and to the candle still open now; at most `limit`, keeping
    /// the newest (or the oldest when `keepOldest`). Oldest first.
    func candles(period: Int64, from: Int64? = nil, through: Int64? = nil, limit: Int, keepOldest: Bool = false) -> [FakeUpstream
        .GeneratedCandle]
    {
        let current = Self.alignDown(nowSeconds, period)
        let depth = market.historyDepth.components.seconds
        let earliest = Self.alignDown(nowSeconds - depth + period - 1, period)
        var first = max(earliest, from.map { Self.alignDown($0 + period - 1, period) } ?? earliest)
        var last = min(current, through.map { Self.alignDown($0, period) } ?? current)
        guard first <= last, limit > 0 else { return [] }
        let count = (last - first) / period + 1
        if count > Int64(limit) {
            if keepOldest { last = first + Int64(limit - 1) * period } else { first = last - Int64(limit - 1) * period }
        }
        return stride(from: first, through: last, by: Int(period)).map { market.candle(openingAt: $0, period: period) }
    }

    /// The close of a candle as JSON: a bad-value fault applies to candles' closes too.
    func close(_ candle: FakeUpstream.GeneratedCandle, _ normal: (Double) -> String) -> String? { price(normal(candle.close)) }

    static func alignDown(_ seconds: Int64, _ period: Int64) -> Int64 {
        let remainder = ((seconds % period) + period) % period
        return seconds - remainder
    }
}
