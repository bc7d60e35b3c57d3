import MetricsCore

/// Zonda's public REST API (formerly BitBay): price from `GET /rest/trading/ticker/BTC-USD`
/// (`ticker.rate`, the last trade), volume from `GET /rest/trading/stats/BTC-USD` (`stats.v`, the
/// last 24 hours in the base asset).
///
/// Both endpoints also answer for every market at once without the market segment, keyed by market
/// code under `items`; with more than one pair the adapter uses those two requests instead of two
/// per pair. Zonda answers 200 even for errors and says `"status": "Fail"` with an `errors` array.
public struct ZondaUpstream: QuoteUpstream {
    public static let defaultBaseURL = "https://api.zondacrypto.exchange"
    /// Zonda publishes no public limit; two requests a second keeps well clear of abuse rules.
    public static let rateLimit = RateLimit(requests: 2, per: .seconds(1))

    public let name = "zonda"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/rest/trading/{ticker,stats}" }

    static func marketCode(_ pair: CurrencyPair) -> String { "\(pair.base)-\(pair.quote)" }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        guard !tickers.isEmpty else { return [:] }
        let single = tickers.count == 1 ? Self.marketCode(tickers[0].pair) : nil
        let suffix = single.map { "/\($0)" } ?? ""
        async let tickerAnswer = fetch("\(baseURL)/rest/trading/ticker\(suffix)", key: "ticker")
        async let statsAnswer = fetch("\(baseURL)/rest/trading/stats\(suffix)", key: "stats")
        let (prices, volumes) = await (tickerAnswer, statsAnswer)
        return Dictionary(
            uniqueKeysWithValues: tickers.map { ticker in
                let market = Self.marketCode(ticker.pair)
                return (
                    ticker,
                    Result { () throws(UpstreamError) -> Quote in
                        let priceEntry = try prices.get().entry(for: market)
                        let volumeEntry = try volumes.get().entry(for: market)
                        return try Quote(
                            price: priceEntry["rate"].decimal("ticker.rate"),
                            volume: volumeEntry["v"].decimal("stats.v")
                        )
                    }
                )
            }
        )
    }

    private func fetch(_ url: String, key: String) async -> Result<ZondaAnswer, UpstreamError> {
        do throws(UpstreamError) {
            let (status, body) = try await http.get(url)
            return .success(try ZondaAnswer(status: status, body: body.readableBytesView, key: key))
        } catch {
            return .failure(error)
        }
    }
}

/// A ticker or stats answer: one market under `ticker`/`stats`, or every market under `items`.
struct ZondaAnswer {
    private let single: [String: JSONValue]?
    private let items: [String: JSONValue]?

    init(status: Int, body: some Collection<UInt8>, key: String) throws(UpstreamError) {
        try UpstreamHTTPClient.requireSuccess(status, body)
        let document = try JSONValue.parse(body, upstream: "zonda")
        guard let outcome = document["status"]?.string else {
            throw .malformedBody("Zonda's answer has no \"status\"")
        }
        guard outcome == "Ok" else {
            let errors = document["errors"]?.strings ?? []
            if errors.contains(where: { $0.contains("NOT_FOUND") || $0.contains("NOT_RECOGNIZED") || $0.contains("INVALID_MARKET") }) {
                throw .unknownPair(errors.joined(separator: ", "))
            }
            throw .exchangeError("status \(outcome)" + (errors.isEmpty ? "" : ": " + errors.joined(separator: ", ")))
        }
        single = document[key]?.object
        items = document["items"]?.object
        guard single != nil || items != nil else {
            throw .malformedBody("Zonda's answer has neither \"\(key)\" nor \"items\"")
        }
    }

    /// The entry for `market`: from `items`, or the single-market answer when it names that market
    /// (`ticker.market.code`, `stats.m`), so that one market's numbers never stand in for another's.
    func entry(for market: String) throws(UpstreamError) -> [String: JSONValue] {
        if let items {
            guard let entry = items[market]?.object else { throw .unknownPair(market) }
            return entry
        }
        let code = single?["market"]?["code"]?.string ?? single?["m"]?.string
        guard let single, code == market else {
            throw .malformedBody("Zonda answered for \(code ?? "an unnamed market"), not \(market)")
        }
        return single
    }
}
