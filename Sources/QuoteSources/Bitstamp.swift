import MetricsCore

/// Bitstamp's public REST API: `GET /api/v2/ticker/btcusd/` for one pair; for more, `GET
/// /api/v2/ticker/`, which answers every market at once as an array whose entries name their
/// `pair` (`BTC/USD`), so that any number of pairs costs one request.
///
/// Price is `last` (the last trade), volume `volume` (the last 24 hours, base asset), both decimal
/// strings; `timestamp` (seconds, a string) becomes the quote's `observedAt`. A pair named in the
/// answer is checked against the pair asked. Bitstamp answers 404 for a pair it does not list; in
/// the all-markets answer such a pair is simply absent.
///
/// Candles come from `GET /api/v2/ohlc/btcusd/?step=60&limit=1000&start=`: minute candles, at most
/// 1,000 per answer, so a 48-hour history takes three requests.
public struct BitstampUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://www.bitstamp.net"
    /// Bitstamp documents 400 requests per second with a default threshold of 10,000 requests per
    /// 10 minutes, per client (https://www.bitstamp.net/api/, "Request limits"); older versions of
    /// the page said 8,000 per 10 minutes and threatened a ban beyond it. Ten a second is 6,000 per
    /// 10 minutes, under both, and a poll of any number of pairs is a single request anyway.
    public static let rateLimit = RateLimit(requests: 10, per: .seconds(1))
    static let candlePeriod: Duration = .seconds(60)
    /// `ohlc` answers at most 1,000 candles.
    static let candlesPerRequest = 1000

    public let name = "bitstamp"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/api/v2/ticker/" }

    /// Bitstamp's market code in URLs: `btcusd`.
    static func urlSymbol(_ pair: CurrencyPair) -> String { (pair.base + pair.quote).lowercased() }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        guard !tickers.isEmpty else { return [:] }
        let asked = tickers.count == 1 ? BitstampPairName.of(tickers[0].pair) : "every market"
        let url = tickers.count == 1 ? "\(baseURL)/api/v2/ticker/\(Self.urlSymbol(tickers[0].pair))/" : "\(baseURL)/api/v2/ticker/"
        do throws(UpstreamError) {
            let (status, body) = try await http.get(url)
            let answer = try BitstampTickerAnswer(status: status, body: body.readableBytesView, asked: asked)
            return Dictionary(
                uniqueKeysWithValues: tickers.map { ticker in
                    (ticker, Result { () throws(UpstreamError) in try answer.quote(for: ticker.pair) })
                }
            )
        } catch {
            return Dictionary(uniqueKeysWithValues: tickers.map { ($0, .failure(error)) })
        }
    }

    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        try await CandlePages.gather(closingIn: range, period: Self.candlePeriod, rowsPerPage: Self.candlesPerRequest) {
            page throws(UpstreamError) in
            let (status, body) = try await http.get(Self.ohlcURL(baseURL: baseURL, pair: ticker.pair, page: page))
            return try BitstampOHLC.parse(status: status, body: body.readableBytesView, pair: ticker.pair)
        }
    }

    /// The request for one page of minute candles: `start` is the first candle's open time in
    /// seconds, and `limit` the page's number of candles (at most 1,000).
    static func ohlcURL(baseURL: String, pair: CurrencyPair, page: CandlePage) -> String {
        let start = page.firstOpen.microsecondsSince1970 / 1_000_000
        let step = candlePeriod.components.seconds
        let count = (page.lastOpen.microsecondsSince1970 - page.firstOpen.microsecondsSince1970) / (step * 1_000_000) + 1
        return "\(baseURL)/api/v2/ohlc/\(urlSymbol(pair))/?step=\(step)&limit=\(count)&start=\(start)"
    }
}

/// How Bitstamp names a pair in its answers: `BTC/USD`.
enum BitstampPairName {
    static func of(_ pair: CurrencyPair) -> String { "\(pair.base)/\(pair.quote)" }
}

/// Bitstamp's refusals: 404 for a market it does not list, `{"status": "error", "reason": ...}` or
/// `{"code": ..., "message": ...}` for others.
enum BitstampErrors {
    static func check(status: Int, document: JSONValue?, body: some Collection<UInt8>, asked: String) throws(UpstreamError) {
        if status == 404 { throw .unknownPair(asked) }
        if document?["status"]?.string == "error" {
            let reason = document?["reason"]?.string ?? document?["code"]?.string ?? "no reason given"
            throw .exchangeError(reason)
        }
        if !(200..<300).contains(status), let message = document?["message"]?.string {
            throw .exchangeError(message)
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
    }
}

/// A ticker answer: one market's object, or every market's in an array.
struct BitstampTickerAnswer {
    private let single: JSONValue?
    private let byPair: [String: JSONValue]

    /// Reads an answer to a request for `asked` (a pair name, or "every market").
    init(status: Int, body: some Collection<UInt8>, asked: String) throws(UpstreamError) {
        let parsed = ParsedBody(body, upstream: "bitstamp")
        let document = parsed.document
        try BitstampErrors.check(status: status, document: document, body: body, asked: asked)
        let json = try parsed.json()
        if let list = json.array {
            var byPair: [String: JSONValue] = [:]
            for (index, entry) in list.enumerated() {
                guard let pair = entry["pair"]?.string else {
                    throw .malformedBody("Bitstamp's ticker entry \(index) has no \"pair\"")
                }
                byPair[pair.uppercased()] = entry
            }
            self.single = nil
            self.byPair = byPair
        } else if json.object != nil {
            self.single = json
            self.byPair = [:]
        } else {
            throw .malformedBody("Bitstamp's ticker answer is neither an object nor an array")
        }
    }

    func quote(for pair: CurrencyPair) throws(UpstreamError) -> Quote {
        let name = BitstampPairName.of(pair)
        let entry: JSONValue
        if let single {
            if let answered = single["pair"]?.string, answered.uppercased() != name {
                throw .wrongPair(asked: name, answered: answered)
            }
            entry = single
        } else {
            guard let found = byPair[name] else { throw .unknownPair(name) }
            entry = found
        }
        return try Quote(
            price: entry["last"].decimal("\(name).last"),
            volume: entry["volume"].decimal("\(name).volume"),
            observedAt: entry["timestamp"].optionalEpochTime("\(name).timestamp", unit: .seconds)
        )
    }
}

/// Reads an `ohlc` answer: `data.pair` names the market, `data.ohlc` holds objects whose string
/// fields include `timestamp` (the open time, seconds), `close` and `volume`, oldest first.
enum BitstampOHLC {
    static func parse(status: Int, body: some Collection<UInt8>, pair: CurrencyPair) throws(UpstreamError) -> [Candle] {
        let name = BitstampPairName.of(pair)
        let parsed = ParsedBody(body, upstream: "bitstamp")
        let document = parsed.document
        try BitstampErrors.check(status: status, document: document, body: body, asked: name)
        let data = try parsed.json()["data"]
        if let answered = data?["pair"]?.string, answered.uppercased() != name {
            throw .wrongPair(asked: name, answered: answered)
        }
        guard let rows = data?["ohlc"]?.array else { throw .malformedBody("Bitstamp's answer has no \"data.ohlc\" array") }
        var candles: [Candle] = []
        candles.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            let path = "data.ohlc[\(index)]"
            guard row.object != nil else { throw .malformedBody("\(path) is not an object") }
            candles.append(
                try Candle(
                    opening: row["timestamp"].epochTime("\(path).timestamp", unit: .seconds), period: BitstampUpstream.candlePeriod,
                    close: row["close"].decimal("\(path).close"), volume: row["volume"].decimal("\(path).volume")))
        }
        return candles
    }
}
