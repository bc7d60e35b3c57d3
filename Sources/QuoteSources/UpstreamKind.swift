import MetricsCore

/// The upstreams cryptometrics can poll, by the names configuration uses.
public enum UpstreamKind: String, CaseIterable, Sendable {
    case kraken
    case zonda
    case cryptowatch
    case simulated

    /// The upstream a market named after an exchange uses when the config names none (`KRAKEN` → kraken).
    public static func serving(exchange: String) -> UpstreamKind? {
        switch exchange.uppercased() {
        case "KRAKEN": .kraken
        case "ZONDA": .zonda
        default: nil
        }
    }

    /// Whether the upstream accepts an API key (`upstreams.<name>.api_key`).
    public var takesAPIKey: Bool { self == .cryptowatch }

    /// The adapter, configured.
    public func makeUpstream(baseURL: String?, apiKey: String?, http: UpstreamHTTPClient) -> any QuoteUpstream {
        switch self {
        case .kraken: KrakenUpstream(baseURL: baseURL ?? KrakenUpstream.defaultBaseURL, http: http)
        case .zonda: ZondaUpstream(baseURL: baseURL ?? ZondaUpstream.defaultBaseURL, http: http)
        case .cryptowatch: CryptowatchUpstream(baseURL: baseURL ?? CryptowatchUpstream.defaultBaseURL, apiKey: apiKey, http: http)
        case .simulated: SimulatedUpstream()
        }
    }
}
