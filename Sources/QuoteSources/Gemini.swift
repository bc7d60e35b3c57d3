import MetricsCore

/// Gemini's public REST API: `GET /v1/pubticker/btcusd`, one request per pair, since Gemini has no
/// ticker with volume for several pairs at once.
///
/// Price is `last` (the last trade); volume is `volume.BTC`, the last 24 hours keyed by the base
/// asset's code (the quote asset's volume sits next to it); `volume.timestamp` (milliseconds)
/// becomes the quote's `observedAt`. The currency codes in `volume` name the market, so they are
/// checked against the pair asked. An unknown symbol is `{"result":"error","reason":"InvalidSymbol"}`.
///
/// Candles come from `GET /v2/candles/btcusd/1m`, which takes no range and no limit: each time
/// frame answers a fixed stretch of recent history. See ``GeminiTimeFrame`` for how one is chosen.
public struct GeminiUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.gemini.com"
    /// Gemini limits public endpoints to 120 requests per minute and recommends not exceeding one
    /// request per second (https://developer.gemini.com/rate-limit). One a second follows the
    /// recommendation and stays at half the limit, so that queued bursts never reach it.
    public static let rateLimit = RateLimit(requests: 1, per: .seconds(1))

    public let name = "gemini"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/v1/pubticker/{symbol}" }

    /// Gemini's symbol: `btcusd`.
    static func symbol(_ pair: CurrencyPair) -> String { (pair.base + pair.quote).lowercased() }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        let results = await boundedConcurrentMap(tickers, limit: http.concurrentRequests) { ticker in
            (ticker, await quote(for: ticker))
        }
        return Dictionary(uniqueKeysWithValues: results)
    }

    private func quote(for ticker: Ticker) async -> Result<Quote, UpstreamError> {
        do throws(UpstreamError) {
            let (status, body) = try await http.get("\(baseURL)/v1/pubticker/\(Self.symbol(ticker.pair))")
            return .success(try GeminiTicker.quote(status: status, body: body.readableBytesView, pair: ticker.pair))
        } catch {
            return .failure(error)
        }
    }

    /// The candles of the finest time frame whose answer reaches back to `range.from`, trying the
    /// frames from finest to coarsest; if none does, those of the frame that reaches furthest back.
    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        let symbol = Self.symbol(ticker.pair)
        let now = Timestamp.now
        var furthest: [Candle] = []
        for frame in GeminiTimeFrame.allCases {
            let (status, body) = try await http.get("\(baseURL)/v2/candles/\(symbol)/\(frame.rawValue)")
            let candles = try GeminiCandles.parse(status: status, body: body.readableBytesView, symbol: symbol, frame: frame)
            if GeminiCandles.reaches(candles, back: range.from) {
                return CandlePages.finished(candles, closingIn: range, now: now)
            }
            if let oldest = candles.first, furthest.first.map({ oldest.openTime < $0.openTime }) ?? true { furthest = candles }
        }
        return CandlePages.finished(furthest, closingIn: range, now: now)
    }
}

/// Gemini's candle time frames, finest first.
///
/// Gemini's candle endpoint has no range or limit parameter: every frame answers a fixed number of
/// the most recent candles, so minute candles reach back only about a day. The adapter asks for
/// each frame in turn and keeps the first whose oldest candle opens at or before the start of the
/// range asked: the finest resolution that covers all of it, at the cost of one request per frame
/// that does not (two for the usual 48 hours, seven at most).
enum GeminiTimeFrame: String, CaseIterable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case thirtyMinutes = "30m"
    case oneHour = "1hr"
    case sixHours = "6hr"
    case oneDay = "1day"

    var period: Duration {
        switch self {
        case .oneMinute: .seconds(60)
        case .fiveMinutes: .seconds(300)
        case .fifteenMinutes: .seconds(900)
        case .thirtyMinutes: .seconds(1800)
        case .oneHour: .seconds(3600)
        case .sixHours: .seconds(21_600)
        case .oneDay: .seconds(86_400)
        }
    }
}

/// Gemini's error body: `{"result": "error", "reason": "InvalidSymbol", "message": "..."}`.
enum GeminiErrors {
    static func check(status: Int, document: JSONValue?, body: some Collection<UInt8>, asked: String) throws(UpstreamError) {
        if document?["result"]?.string == "error" {
            let reason = document?["reason"]?.string ?? "no reason given"
            let message = document?["message"]?.string.map { ": \($0)" } ?? ""
            if reason == "InvalidSymbol" { throw .unknownPair("\(asked) (\(reason))") }
            throw .exchangeError("\(reason)\(message)")
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
    }
}

/// Reads a `/v1/pubticker/{symbol}` answer.
enum GeminiTicker {
    static func quote(status: Int, body: some Collection<UInt8>, pair: CurrencyPair) throws(UpstreamError) -> Quote {
        let symbol = GeminiUpstream.symbol(pair)
        let parsed = ParsedBody(body, upstream: "gemini")
        let document = parsed.document
        try GeminiErrors.check(status: status, document: document, body: body, asked: symbol)
        let ticker = try parsed.json()
        guard let volume = ticker["volume"]?.object else {
            throw .invalidValue(field: "\(symbol).volume", reason: "is missing")
        }
        let currencies = Set(volume.keys).subtracting(["timestamp"])
        if !currencies.isEmpty, !(currencies.contains(pair.base) && currencies.contains(pair.quote)) {
            throw .wrongPair(asked: "\(pair.base)/\(pair.quote)", answered: currencies.sorted().joined(separator: "/"))
        }
        return try Quote(
            price: ticker["last"].decimal("\(symbol).last"),
            volume: volume[pair.base].decimal("\(symbol).volume.\(pair.base)"),
            observedAt: volume["timestamp"].optionalEpochTime("\(symbol).volume.timestamp", unit: .milliseconds)
        )
    }
}

/// Reads a `/v2/candles/{symbol}/{time_frame}` answer: rows `[time, open, high, low, close,
/// volume]`, `time` the open time in milliseconds, newest first. Returns them oldest first.
enum GeminiCandles {
    static func parse(status: Int, body: some Collection<UInt8>, symbol: String, frame: GeminiTimeFrame) throws(UpstreamError) -> [Candle] {
        let parsed = ParsedBody(body, upstream: "gemini")
        let document = parsed.document
        try GeminiErrors.check(status: status, document: document, body: body, asked: symbol)
        let rows = try CandleRow.rows(parsed.json(), path: "candles", columns: 6)
        var candles: [Candle] = []
        candles.reserveCapacity(rows.count)
        for row in rows {
            candles.append(
                try Candle(
                    opening: try row.time(0, unit: .milliseconds), period: frame.period,
                    close: try row.decimal(4, "close"), volume: try row.decimal(5, "volume")))
        }
        return candles.sorted { $0.openTime < $1.openTime }
    }

    /// Whether `candles` (oldest first) include every candle closing at or after `from`: the oldest
    /// opens no later than `from`.
    static func reaches(_ candles: [Candle], back from: Timestamp) -> Bool {
        guard let oldest = candles.first else { return false }
        return oldest.openTime <= from
    }
}
