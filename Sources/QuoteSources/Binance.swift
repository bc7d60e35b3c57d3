import MetricsCore

/// Binance's public spot REST API: `GET /api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]`, up to
/// 20 pairs per request (``symbolsPerRequest``), or `?symbol=BTCUSDT` for one.
///
/// Price is `lastPrice`, volume `volume` (the rolling 24 hours, base asset), both decimal strings;
/// `closeTime` (milliseconds) ends the 24-hour window and becomes the quote's `observedAt`. Every
/// entry names its `symbol`, which is checked. An unknown symbol is `400 {"code":-1121,"msg":"Invalid
/// symbol."}` and fails a `symbols=` request as a whole; the adapter then asks for each pair alone,
/// as the Kraken adapter does, so that one misconfigured pair does not silence the others.
///
/// Candles come from `GET /api/v3/klines?interval=1m`, at most 1,000 per answer, so a 48-hour
/// history takes three requests. Binance keeps minute candles for the life of a market.
public struct BinanceUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.binance.com"
    /// Binance limits request *weight*, not requests: 6,000 per minute per IP (`REQUEST_WEIGHT` in
    /// `GET /api/v3/exchangeInfo`; https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits).
    /// `ticker/24hr` weighs 2 for one symbol or 1 to 20 `symbols` (40 for 21 to 100), and `klines`
    /// weighs 2 (rest-api.md, "24hr ticker price change statistics" and "Kline/Candlestick data").
    /// With at most 20 symbols a request, every request this adapter sends weighs 2, so 3,000
    /// requests a minute would reach the limit. Ten a second (1,200 weight a minute, a fifth of the
    /// limit, and the whole limit Binance published before 2023) leaves the rest of the budget to
    /// whatever else shares the address.
    public static let rateLimit = RateLimit(requests: 10, per: .seconds(1))
    /// Symbols per `ticker/24hr` request: above 20 the request weighs 20 times as much.
    public static let symbolsPerRequest = 20
    static let candlePeriod: Duration = .seconds(60)
    /// `klines` answers at most 1,000 candles.
    static let candlesPerRequest = 1000

    public let name = "binance"
    public let baseURL: String
    let http: UpstreamHTTPClient
    private let unknownPairs = UnknownPairs()

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/api/v3/ticker/24hr" }

    /// Binance's symbol: `BTCUSDT`.
    static func symbol(_ pair: CurrencyPair) -> String { pair.base + pair.quote }

    /// Chunks of ``symbolsPerRequest`` side by side, the pacer keeping them within the rate limit
    /// (see ``UnknownPairs`` for a symbol Binance does not list).
    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        await unknownPairs.quotes(for: tickers, batchSize: Self.symbolsPerRequest, concurrency: http.concurrentRequests) {
            tickers throws(UpstreamError) in
            let symbols = tickers.map { Self.symbol($0.pair) }
            let (status, body) = try await http.get(Self.tickerURL(baseURL: baseURL, symbols: symbols))
            let answer = try BinanceTickerAnswer(status: status, body: body.readableBytesView, asked: symbols)
            return Dictionary(
                uniqueKeysWithValues: tickers.map { ticker in
                    (ticker, Result { () throws(UpstreamError) in try answer.quote(for: Self.symbol(ticker.pair)) })
                })
        }
    }

    /// `?symbol=BTCUSDT` for one symbol, else `?symbols=` and the JSON array, percent-encoded
    /// (`["BTCUSDT","ETHUSDT"]` → `%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D`), as Binance requires.
    static func tickerURL(baseURL: String, symbols: [String]) -> String {
        if symbols.count == 1 { return "\(baseURL)/api/v3/ticker/24hr?symbol=\(symbols[0])" }
        let list = symbols.map { "%22\($0)%22" }.joined(separator: "%2C")
        return "\(baseURL)/api/v3/ticker/24hr?symbols=%5B\(list)%5D"
    }

    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        let symbol = Self.symbol(ticker.pair)
        return try await CandlePages.gather(closingIn: range, period: Self.candlePeriod, rowsPerPage: Self.candlesPerRequest) {
            page throws(UpstreamError) in
            let (status, body) = try await http.get(Self.klinesURL(baseURL: baseURL, symbol: symbol, page: page))
            return try BinanceKlines.parse(status: status, body: body.readableBytesView, symbol: symbol)
        }
    }

    /// The request for one page of minute candles: `startTime` and `endTime` bound the open times,
    /// in milliseconds, both included.
    static func klinesURL(baseURL: String, symbol: String, page: CandlePage) -> String {
        let start = page.firstOpen.microsecondsSince1970 / 1000
        let end = page.lastOpen.microsecondsSince1970 / 1000
        return "\(baseURL)/api/v3/klines?symbol=\(symbol)&interval=1m&startTime=\(start)&endTime=\(end)&limit=\(candlesPerRequest)"
    }
}

/// Binance's error body, `{"code": -1121, "msg": "Invalid symbol."}`, sent with a 4xx status.
enum BinanceErrors {
    /// Binance's code for a symbol it does not list.
    static let invalidSymbol = -1121

    static func check(status: Int, document: JSONValue?, body: some Collection<UInt8>, asked: String) throws(UpstreamError) {
        if !(200..<300).contains(status), let code = document?["code"]?.double {
            let message = document?["msg"]?.string ?? "no message"
            // Exactly, or not at all: a code past Int's range (1e19, or 1e999 read as infinity)
            // is garbage to report, not a number to convert (found by fuzzing: the conversion trapped).
            let number = Int(exactly: code)
            if number == invalidSymbol { throw .unknownPair("\(asked) (\(message))") }
            throw .exchangeError("\(message) (code \(number.map(String.init) ?? "\(code)"))")
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
    }
}

/// A `ticker/24hr` answer: one object for `symbol=`, an array of them for `symbols=`.
struct BinanceTickerAnswer {
    private let entries: [String: JSONValue]
    private let asked: Set<String>

    /// Reads an answer to a request for the symbols `asked`.
    init(status: Int, body: some Collection<UInt8>, asked: [String]) throws(UpstreamError) {
        let parsed = ParsedBody(body, upstream: "binance")
        let document = parsed.document
        try BinanceErrors.check(status: status, document: document, body: body, asked: asked.joined(separator: ","))
        self.asked = Set(asked)
        let json = try parsed.json()
        let list = json.array ?? [json]
        var entries: [String: JSONValue] = [:]
        for (index, entry) in list.enumerated() {
            guard let symbol = entry["symbol"]?.string else {
                throw .malformedBody("Binance's ticker entry \(index) has no \"symbol\"")
            }
            entries[symbol] = entry
        }
        self.entries = entries
    }

    /// The quote for `symbol`. Where the entry is missing, an entry for a symbol nobody asked for
    /// means the answer is for another market (a wrong pair); otherwise the answer is incomplete.
    func quote(for symbol: String) throws(UpstreamError) -> Quote {
        guard let entry = entries[symbol] else {
            let unasked = entries.keys.filter { !asked.contains($0) }.sorted()
            if !unasked.isEmpty { throw .wrongPair(asked: symbol, answered: unasked.joined(separator: ",")) }
            throw .malformedBody("Binance's answer has no entry for \(symbol) (symbols: \(entries.keys.sorted().joined(separator: ", ")))")
        }
        return try Quote(
            price: entry["lastPrice"].decimal("\(symbol).lastPrice"),
            volume: entry["volume"].decimal("\(symbol).volume"),
            observedAt: entry["closeTime"].optionalEpochTime("\(symbol).closeTime", unit: .milliseconds)
        )
    }
}

/// Reads a `klines` answer: rows `[openTime, open, high, low, close, volume, closeTime, ...]`, times
/// in milliseconds, oldest first. `closeTime` is the last millisecond of the candle (`openTime +
/// 59,999` for a minute); the candle's close time is taken as `openTime` plus the full minute, so
/// that candles tile time without gaps. A `closeTime` that does not fit a minute candle means the
/// answer is not minute candles and fails the request.
enum BinanceKlines {
    static func parse(status: Int, body: some Collection<UInt8>, symbol: String) throws(UpstreamError) -> [Candle] {
        let parsed = ParsedBody(body, upstream: "binance")
        let document = parsed.document
        try BinanceErrors.check(status: status, document: document, body: body, asked: symbol)
        let rows = try CandleRow.rows(parsed.json(), path: "klines", columns: 7)
        let period = BinanceUpstream.candlePeriod
        var candles: [Candle] = []
        candles.reserveCapacity(rows.count)
        for row in rows {
            let open = try row.time(0, unit: .milliseconds)
            let lastMillisecond = try row.time(6, unit: .milliseconds)
            let close = open.adding(seconds: period.seconds)
            guard lastMillisecond.adding(seconds: 0.001) == close else {
                throw .malformedBody(
                    "\(row.path): a candle opening at \(open.rfc3339) ends at \(lastMillisecond.rfc3339), not after one minute")
            }
            candles.append(
                try Candle(openTime: open, closeTime: close, close: try row.decimal(4, "close"), volume: try row.decimal(5, "volume")))
        }
        return candles
    }
}
