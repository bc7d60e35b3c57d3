import MetricsCore

/// A Cryptowatch-compatible REST API: `GET /markets/{exchange}/{pair}/summary`, one request per
/// pair, price from `result.price.last` and volume from `result.volume` (24 hours, base asset).
///
/// Cryptowatch itself shut down in 2023; this adapter serves self-hosted endpoints that speak its
/// format, as the original app's upstream did. The API key, when set, is sent the way the original
/// sent it, in the `X-CW-API-Key` header.
///
/// Candles come from `GET /markets/{exchange}/{pair}/ohlc?periods=60&after=`: minute candles keyed
/// by period under `result`, each row labelled by its close time.
public struct CryptowatchUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.cryptowat.ch"
    /// Not a documented limit: Cryptowatch never published a request rate. It charged each request
    /// a cost against a credit allowance that every answer reported (`allowance.cost`,
    /// `allowance.remaining`; https://docs.cryptowat.ch/rest-api/rate-limit, now offline), and the
    /// service shut down in 2023. Self-hosted endpoints that speak its format set their own limits;
    /// twenty a second only keeps a burst of pairs from flooding one.
    public static let rateLimit = RateLimit(requests: 20, per: .seconds(1))

    public let name = "cryptowatch"
    public let baseURL: String
    let apiKey: String?
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, apiKey: String? = nil, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.apiKey = apiKey
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/markets/{exchange}/{pair}/summary" }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        let results = await boundedConcurrentMap(tickers, limit: http.concurrentRequests) { ticker in
            (ticker, await quote(for: ticker))
        }
        return Dictionary(uniqueKeysWithValues: results)
    }

    /// The market's path: `/markets/kraken/btcusd`.
    static func marketPath(_ ticker: Ticker) -> String {
        "/markets/\(ticker.exchange.lowercased())/\((ticker.pair.base + ticker.pair.quote).lowercased())"
    }

    private var headers: [(String, String)] { apiKey.map { [("X-CW-API-Key", $0)] } ?? [] }

    private func quote(for ticker: Ticker) async -> Result<Quote, UpstreamError> {
        let url = "\(baseURL)\(Self.marketPath(ticker))/summary"
        do throws(UpstreamError) {
            let (status, body) = try await http.get(url, headers: headers)
            return .success(try CryptowatchSummary.quote(status: status, body: body.readableBytesView, ticker: ticker))
        } catch {
            return .failure(error)
        }
    }

    /// Pages forward from the start of the range with `after`, since an endpoint answers a bounded
    /// number of rows from the oldest it is asked for.
    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        var gathered: [Candle] = []
        var after = range.from.adding(seconds: -Double(CryptowatchOHLC.period.components.seconds))
        for _ in 0..<CandlePages.maximumPages {
            let (status, body) = try await http.get(Self.ohlcURL(baseURL: baseURL, ticker: ticker, after: after), headers: headers)
            let page = try CryptowatchOHLC.parse(status: status, body: body.readableBytesView, ticker: ticker)
            gathered += page
            guard let newest = page.map(\.closeTime).max(), newest > after, newest < range.through else { break }
            after = newest
        }
        return CandlePages.finished(gathered, closingIn: range, now: .now)
    }

    /// `after` is a close time in seconds: rows closing after it come back.
    static func ohlcURL(baseURL: String, ticker: Ticker, after: Timestamp) -> String {
        let period = CryptowatchOHLC.period.components.seconds
        return "\(baseURL)\(marketPath(ticker))/ohlc?periods=\(period)&after=\(after.microsecondsSince1970 / 1_000_000)"
    }
}

/// Reads a market summary answer.
enum CryptowatchSummary {
    static func quote(status: Int, body: some Collection<UInt8>, ticker: Ticker) throws(UpstreamError) -> Quote {
        guard let result = try CryptowatchResponse.result(status: status, body: body, ticker: ticker) else {
            throw .malformedBody("the answer has no \"result\" object")
        }
        return try Quote(
            price: (result["price"]?["last"]).decimal("result.price.last"),
            volume: result["volume"].decimal("result.volume")
        )
    }
}

/// Cryptowatch's answer envelope: `{"result": ..., "allowance": {...}}`, or `{"error": "..."}` with
/// a 4xx status.
enum CryptowatchResponse {
    static func result(status: Int, body: some Collection<UInt8>, ticker: Ticker) throws(UpstreamError) -> JSONValue? {
        let parsed = ParsedBody(body, upstream: "cryptowatch")
        let document = parsed.document
        if let message = document?["error"]?.string {
            if status == 404 { throw .unknownPair("\(ticker) (\(message))") }
            throw .exchangeError(message)
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
        return try parsed.json()["result"]
    }
}

/// Reads an OHLC answer: `result["60"]` holds rows `[closeTime, open, high, low, close, volume,
/// quoteVolume]`, the close time in seconds, oldest first.
enum CryptowatchOHLC {
    /// Minute candles, the finest Cryptowatch kept.
    static let period: Duration = .seconds(60)

    static func parse(status: Int, body: some Collection<UInt8>, ticker: Ticker) throws(UpstreamError) -> [Candle] {
        let key = "\(period.components.seconds)"
        guard let result = try CryptowatchResponse.result(status: status, body: body, ticker: ticker) else {
            throw .malformedBody("the answer has no \"result\" object")
        }
        var candles: [Candle] = []
        for row in try CandleRow.rows(result[key], path: "result.\(key)", columns: 6) {
            let close = try row.time(0, unit: .seconds)
            candles.append(
                try Candle(
                    openTime: close.adding(seconds: -period.seconds), closeTime: close,
                    close: try row.decimal(4, "close"), volume: try row.decimal(5, "volume")))
        }
        return candles
    }
}
