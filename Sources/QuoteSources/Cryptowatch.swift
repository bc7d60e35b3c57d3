import MetricsCore

/// A Cryptowatch-compatible REST API: `GET /markets/{exchange}/{pair}/summary`, one request per
/// pair, price from `result.price.last` and volume from `result.volume` (24 hours, base asset).
///
/// Cryptowatch itself shut down in 2023; this adapter serves self-hosted endpoints that speak its
/// format, as the original app's upstream did. The API key, when set, is sent the way the original
/// sent it, in the `X-CW-API-Key` header.
public struct CryptowatchUpstream: QuoteUpstream {
    public static let defaultBaseURL = "https://api.cryptowat.ch"
    /// Self-hosted endpoints set their own limits; this keeps a burst of pairs from flooding one.
    public static let rateLimit = RateLimit(requests: 20, per: .seconds(1))
    /// Pairs asked at once, so that a long list does not open hundreds of connections.
    public static let concurrentRequests = 8

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
        let results = await boundedConcurrentMap(tickers, limit: Self.concurrentRequests) { ticker in
            (ticker, await quote(for: ticker))
        }
        return Dictionary(uniqueKeysWithValues: results)
    }

    private func quote(for ticker: Ticker) async -> Result<Quote, UpstreamError> {
        let url = "\(baseURL)/markets/\(ticker.exchange.lowercased())/\((ticker.pair.base + ticker.pair.quote).lowercased())/summary"
        let headers = apiKey.map { [("X-CW-API-Key", $0)] } ?? []
        do throws(UpstreamError) {
            let (status, body) = try await http.get(url, headers: headers)
            return .success(try CryptowatchSummary.quote(status: status, body: body.readableBytesView, ticker: ticker))
        } catch {
            return .failure(error)
        }
    }
}

/// Reads a market summary answer.
enum CryptowatchSummary {
    static func quote(status: Int, body: some Collection<UInt8>, ticker: Ticker) throws(UpstreamError) -> Quote {
        let document = try? JSONValue.parse(body, upstream: "cryptowatch")
        // Errors come as {"error": "..."} with a 4xx status.
        if let message = document?["error"]?.string {
            if status == 404 { throw .unknownPair("\(ticker) (\(message))") }
            throw .exchangeError(message)
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
        guard let result = try document.orParsing(body, upstream: "cryptowatch")["result"] else {
            throw .malformedBody("the answer has no \"result\" object")
        }
        return try Quote(
            price: (result["price"]?["last"]).decimal("result.price.last"),
            volume: result["volume"].decimal("result.volume")
        )
    }
}
