import MetricsCore

/// Coinbase Exchange's public REST API: `GET /products/BTC-USD/ticker`, one request per pair, since
/// Coinbase has no ticker for several products at once.
///
/// Price is `price` (the last trade), volume `volume` (the rolling 24 hours, base asset), both
/// decimal strings; `time` (RFC 3339, nine fractional digits) is when the last trade happened and
/// becomes the quote's `observedAt`. The answer does not name its product, so there is nothing to
/// check it against. A product Coinbase does not list is `404 {"message":"NotFound"}`.
///
/// Candles come from `GET /products/BTC-USD/candles?granularity=60&start=&end=`: minute candles,
/// which Coinbase keeps for years, at most 300 per answer, so a 48-hour history takes 10 requests.
public struct CoinbaseUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.exchange.coinbase.com"
    /// Coinbase Exchange throttles public endpoints by IP at 10 requests per second, with bursts of
    /// up to 15 (https://docs.cdp.coinbase.com/exchange/rest-api/rate-limits, "Public Endpoints").
    /// The steady rate is kept; the burst allowance is left for retries.
    public static let rateLimit = RateLimit(requests: 10, per: .seconds(1))
    /// Candle period: Coinbase's finest granularity.
    static let candlePeriod: Duration = .seconds(60)
    /// Coinbase refuses a candle request spanning more than 300 candles.
    static let candlesPerRequest = 300

    public let name = "coinbase"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/products/{product}/ticker" }

    /// Coinbase's product id: `BTC-USD`.
    static func productID(_ pair: CurrencyPair) -> String { "\(pair.base)-\(pair.quote)" }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        let results = await boundedConcurrentMap(tickers, limit: http.concurrentRequests) { ticker in
            (ticker, await quote(for: ticker))
        }
        return Dictionary(uniqueKeysWithValues: results)
    }

    private func quote(for ticker: Ticker) async -> Result<Quote, UpstreamError> {
        let product = Self.productID(ticker.pair)
        do throws(UpstreamError) {
            let (status, body) = try await http.get("\(baseURL)/products/\(product)/ticker")
            return .success(try CoinbaseTicker.quote(status: status, body: body.readableBytesView, product: product))
        } catch {
            return .failure(error)
        }
    }

    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        let product = Self.productID(ticker.pair)
        return try await CandlePages.gather(closingIn: range, period: Self.candlePeriod, rowsPerPage: Self.candlesPerRequest) {
            page throws(UpstreamError) in
            let (status, body) = try await http.get(Self.candlesURL(baseURL: baseURL, product: product, page: page))
            return try CoinbaseCandles.parse(status: status, body: body.readableBytesView, product: product)
        }
    }

    /// The request for one page of minute candles. Coinbase takes `start` and `end` as the open
    /// times of the first and last candle, both included.
    static func candlesURL(baseURL: String, product: String, page: CandlePage) -> String {
        let granularity = candlePeriod.components.seconds
        return
            "\(baseURL)/products/\(product)/candles?granularity=\(granularity)&start=\(page.firstOpen.rfc3339)&end=\(page.lastOpen.rfc3339)"
    }
}

/// Coinbase's error bodies: `{"message": "NotFound"}` with 404 for an unknown product, other
/// messages for other refusals.
enum CoinbaseErrors {
    static func check(status: Int, document: JSONValue?, body: some Collection<UInt8>, product: String) throws(UpstreamError) {
        if status == 404 {
            let message = document?["message"]?.string.map { " (\($0))" } ?? ""
            throw .unknownPair("\(product)\(message)")
        }
        if !(200..<300).contains(status), let message = document?["message"]?.string {
            throw .exchangeError(message)
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
    }
}

/// Reads a `/products/{id}/ticker` answer.
enum CoinbaseTicker {
    static func quote(status: Int, body: some Collection<UInt8>, product: String) throws(UpstreamError) -> Quote {
        let parsed = ParsedBody(body, upstream: "coinbase")
        let document = parsed.document
        try CoinbaseErrors.check(status: status, document: document, body: body, product: product)
        let ticker = try parsed.json()
        guard ticker.object != nil else { throw .malformedBody("Coinbase's ticker for \(product) is not an object") }
        return try Quote(
            price: ticker["price"].decimal("price"),
            volume: ticker["volume"].decimal("volume"),
            observedAt: try observedAt(ticker["time"])
        )
    }

    /// The last trade's time, when the answer has one.
    private static func observedAt(_ value: JSONValue?) throws(UpstreamError) -> Timestamp? {
        guard let value, value != .null else { return nil }
        guard let text = value.string, let time = try? Timestamp(rfc3339: text) else {
            throw .invalidValue(field: "time", reason: "is not an RFC 3339 time")
        }
        return time
    }
}

/// Reads a `/products/{id}/candles` answer: rows `[time, low, high, open, close, volume]`, `time`
/// the open time in seconds, newest first.
enum CoinbaseCandles {
    static func parse(status: Int, body: some Collection<UInt8>, product: String) throws(UpstreamError) -> [Candle] {
        let parsed = ParsedBody(body, upstream: "coinbase")
        let document = parsed.document
        try CoinbaseErrors.check(status: status, document: document, body: body, product: product)
        let rows = try CandleRow.rows(parsed.json(), path: "candles", columns: 6)
        var candles: [Candle] = []
        candles.reserveCapacity(rows.count)
        for row in rows {
            candles.append(
                try Candle(
                    opening: try row.time(0, unit: .seconds), period: CoinbaseUpstream.candlePeriod,
                    close: try row.decimal(4, "close"), volume: try row.decimal(5, "volume")))
        }
        return candles
    }
}
