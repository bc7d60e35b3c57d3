import MetricsCore

/// SKELETON: to be written (issue 4). Gemini's public REST API.
public struct GeminiUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.gemini.com"
    /// TODO: the documented public limit.
    public static let rateLimit = RateLimit(requests: 1, per: .seconds(1))

    public let name = "gemini"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { baseURL }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        Dictionary(uniqueKeysWithValues: tickers.map { ($0, .failure(.exchangeError("not written yet"))) })
    }

    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        throw .exchangeError("not written yet")
    }
}
