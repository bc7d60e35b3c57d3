import MetricsCore

/// The upstreams cryptometrics can poll, by the names configuration uses.
public enum UpstreamKind: String, CaseIterable, Sendable {
    case kraken
    case zonda
    case coinbase
    case binance
    case bitstamp
    case gemini
    case cryptowatch
    case simulated

    /// The upstream a market named after an exchange uses when the config names none (`KRAKEN` → kraken).
    public static func serving(exchange: String) -> UpstreamKind? {
        switch exchange.uppercased() {
        case "KRAKEN": .kraken
        case "ZONDA": .zonda
        case "COINBASE": .coinbase
        case "BINANCE": .binance
        case "BITSTAMP": .bitstamp
        case "GEMINI": .gemini
        default: nil
        }
    }

    /// The exchanges a market can be named after without listing its upstreams.
    public static var exchangeNames: [String] {
        allCases.filter { $0 != .cryptowatch && $0 != .simulated }.map { $0.rawValue.uppercased() }
    }

    /// Whether the upstream accepts an API key (`upstreams.<name>.api_key`).
    public var takesAPIKey: Bool { self == .cryptowatch }

    /// The exchange's documented limit on public requests, which the HTTP client keeps to.
    public var rateLimit: RateLimit? {
        switch self {
        case .kraken: KrakenUpstream.rateLimit
        case .zonda: ZondaUpstream.rateLimit
        case .coinbase: CoinbaseUpstream.rateLimit
        case .binance: BinanceUpstream.rateLimit
        case .bitstamp: BitstampUpstream.rateLimit
        case .gemini: GeminiUpstream.rateLimit
        case .cryptowatch: CryptowatchUpstream.rateLimit
        case .simulated: nil
        }
    }

    /// The adapter, configured. `http` already carries this upstream's timeout and rate limit.
    public func makeUpstream(baseURL: String?, apiKey: String?, http: UpstreamHTTPClient) -> any QuoteUpstream {
        switch self {
        case .kraken: KrakenUpstream(baseURL: baseURL ?? KrakenUpstream.defaultBaseURL, http: http)
        case .zonda: ZondaUpstream(baseURL: baseURL ?? ZondaUpstream.defaultBaseURL, http: http)
        case .coinbase: CoinbaseUpstream(baseURL: baseURL ?? CoinbaseUpstream.defaultBaseURL, http: http)
        case .binance: BinanceUpstream(baseURL: baseURL ?? BinanceUpstream.defaultBaseURL, http: http)
        case .bitstamp: BitstampUpstream(baseURL: baseURL ?? BitstampUpstream.defaultBaseURL, http: http)
        case .gemini: GeminiUpstream(baseURL: baseURL ?? GeminiUpstream.defaultBaseURL, http: http)
        case .cryptowatch: CryptowatchUpstream(baseURL: baseURL ?? CryptowatchUpstream.defaultBaseURL, apiKey: apiKey, http: http)
        case .simulated: SimulatedUpstream()
        }
    }
}
