import Configuration
import Foundation
import Logging
import MetricsCore
import QuoteSources

/// Resolves ``Settings`` from the command line, then environment variables, then the config file,
/// then defaults: the first layer that sets a key wins.
///
/// The layers are swift-configuration providers, asked one by one rather than through a merged
/// `ConfigReader` so that a bad value is reported with the layer it came from
/// (`environment variable CRYPTOMETRICS_PORT`, not just "port"). Environment names are the config
/// keys under the `cryptometrics` prefix, upper-cased: `poll_interval_seconds` is
/// `CRYPTOMETRICS_POLL_INTERVAL_SECONDS`, `upstreams.kraken.base_url` is
/// `CRYPTOMETRICS_UPSTREAMS_KRAKEN_BASE_URL`. `CRYPTO_API_KEY` is also read, as the original read it.
struct SettingsLoader {
    private struct Layer {
        let provider: any ConfigProvider
        let origin: (_ encodedKey: String) -> String
    }

    private let layers: [Layer]
    private let file: ConfigFile?

    /// - Parameters:
    ///   - arguments: values given on the command line, by config key.
    ///   - environment: the process environment (tests pass their own).
    init(arguments: [String: String], environment: [String: String]) throws(ConfigurationError) {
        let configPath = arguments["config"] ?? environment["CRYPTOMETRICS_CONFIG"]
        file = try configPath.map { path throws(ConfigurationError) in try ConfigFile(path: path) }
        var layers = [
            Layer(provider: Self.memory("command line", arguments), origin: { _ in "the command line" }),
            Layer(provider: EnvironmentVariablesProvider(environmentVariables: environment), origin: { "environment variable \($0)" }),
        ]
        if let file {
            layers.append(Layer(provider: Self.memory(file.path, file.values), origin: { _ in file.path }))
        }
        self.layers = layers
    }

    private static func memory(_ name: String, _ values: [String: String]) -> InMemoryProvider {
        InMemoryProvider(
            name: name,
            values: Dictionary(
                uniqueKeysWithValues: values.map { key, value in
                    (
                        AbsoluteConfigKey(key.split(separator: ".").map(String.init)),
                        ConfigValue(.string(value), isSecret: key.hasSuffix("api_key"))
                    )
                })
        )
    }

    /// The text of `key` from the first layer that has it, with where it came from. Environment
    /// variables are looked up under the `cryptometrics` prefix; the other layers by the bare key.
    ///
    /// - Parameter environmentAlias: another environment variable that sets the key, with the
    ///   environment's precedence (`CRYPTO_API_KEY`, as the original app named it).
    private func lookup(_ key: String, environmentAlias: String? = nil) throws(ConfigurationError) -> (text: String, origin: String)? {
        let components = key.split(separator: ".").map(String.init)
        for layer in layers {
            let isEnvironment = layer.provider is EnvironmentVariablesProvider
            var candidates = [AbsoluteConfigKey(isEnvironment ? ["cryptometrics"] + components : components)]
            if isEnvironment, let environmentAlias {
                candidates.append(AbsoluteConfigKey([environmentAlias.lowercased()]))
            }
            for configKey in candidates {
                do {
                    let result = try layer.provider.value(forKey: configKey, type: .string)
                    if case .string(let text) = result.value?.content {
                        return (text, layer.origin(result.encodedKey))
                    }
                } catch {
                    throw ConfigurationError(origin: layer.origin(key), key: key, reason: "\(error)")
                }
            }
        }
        return nil
    }

    /// Reads `key` with `parse`, which says what is wrong with a bad value.
    private func read<Value>(
        _ key: String,
        environmentAlias: String? = nil,
        _ parse: (String) -> Result<Value, Reason>
    ) throws(ConfigurationError) -> Value? {
        guard let (text, origin) = try lookup(key, environmentAlias: environmentAlias) else { return nil }
        switch parse(text.trimmingCharacters(in: .whitespaces)) {
        case .success(let value): return value
        case .failure(let reason): throw ConfigurationError(origin: origin, key: key, reason: reason.text)
        }
    }

    struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    func settings() throws(ConfigurationError) -> Settings {
        var settings = Settings()
        if let host = try read("host", Self.nonEmpty("a host name or address, such as 127.0.0.1 or 0.0.0.0")) { settings.host = host }
        if let port = try read("port", Self.integer(in: 0...65_535, "a port number from 0 (any free port) to 65535")) {
            settings.port = port
        }
        if let path = try read("database", Self.nonEmpty("the path of the SQLite file")) { settings.databasePath = path }
        if let source = try read("source", Self.oneOf(Settings.Source.self)) { settings.source = source }
        if let poll = try read("poll", Self.boolean) { settings.poll = poll }
        if let interval = try read("poll_interval_seconds", Self.number(in: 1...86_400, "a number of seconds from 1 to 86400")) {
            settings.pollIntervalSeconds = interval
        }
        if let metrics = try read("metrics", Self.metricList) { settings.metrics = metrics }
        if let level = try read("log_level", Self.oneOf(Logger.Level.self)) { settings.logLevel = level }
        if let megabytes = try read("response_cache_mb", Self.integer(in: 0...65_536, "a number of MiB from 0 (no cache) to 65536")) {
            settings.responseCacheMegabytes = megabytes
        }
        if let age = try read("max_quote_age_seconds", Self.number(in: 1...86_400, "a number of seconds from 1 to 86400")) {
            settings.maximumQuoteAgeSeconds = age
        }
        if let threshold = try read("breaker_failure_threshold", Self.integer(in: 1...1_000, "a number of failed cycles from 1 to 1000")) {
            settings.breakerFailureThreshold = threshold
        }
        if let seconds = try read("breaker_open_seconds", Self.number(in: 0.1...3_600, "a number of seconds from 0.1 to 3600")) {
            settings.breakerOpenSeconds = seconds
        }
        if let markets = file?.markets { settings.markets = markets }
        if let tickers = try read("tickers", Self.tickerList) { settings.markets = tickers }
        for kind in UpstreamKind.allCases where kind != .simulated {
            var upstream = Settings.Upstream()
            upstream.baseURL = try read("upstreams.\(kind.rawValue).base_url", Self.httpURL)
            upstream.timeoutSeconds = try read(
                "upstreams.\(kind.rawValue).timeout_seconds", Self.number(in: 0.1...300, "a number of seconds from 0.1 to 300"))
            upstream.retries = try read("upstreams.\(kind.rawValue).retries", Self.integer(in: 0...10, "a number of retries from 0 to 10"))
            upstream.requestsPerSecond = try read(
                "upstreams.\(kind.rawValue).requests_per_second",
                Self.number(in: 0.01...100_000, "a number of requests per second from 0.01"))
            if kind.takesAPIKey {
                upstream.apiKey = try read(
                    "upstreams.\(kind.rawValue).api_key",
                    environmentAlias: "CRYPTO_API_KEY",
                    Self.nonEmpty("the API key")
                )
            }
            if upstream != Settings.Upstream() { settings.upstreams[kind] = upstream }
        }
        return settings
    }

    // MARK: Parsers, each saying what a valid value looks like.

    private static func nonEmpty(_ expected: String) -> (String) -> Result<String, Reason> {
        { $0.isEmpty ? .failure(Reason("must not be empty; expected \(expected)")) : .success($0) }
    }

    private static func integer(in range: ClosedRange<Int>, _ expected: String) -> (String) -> Result<Int, Reason> {
        { text in
            guard let value = Int(text), range.contains(value) else { return .failure(Reason("\"\(text)\" is not \(expected)")) }
            return .success(value)
        }
    }

    private static func number(in range: ClosedRange<Double>, _ expected: String) -> (String) -> Result<Double, Reason> {
        { text in
            guard let value = DecimalText.parse(text), range.contains(value) else {
                return .failure(Reason("\"\(text)\" is not \(expected)"))
            }
            return .success(value)
        }
    }

    private static func boolean(_ text: String) -> Result<Bool, Reason> {
        switch text.lowercased() {
        case "true", "1", "yes": .success(true)
        case "false", "0", "no": .success(false)
        default: .failure(Reason("\"\(text)\" is not true or false"))
        }
    }

    private static func oneOf<Value: RawRepresentable & CaseIterable>(_ type: Value.Type) -> (String) -> Result<Value, Reason>
    where Value.RawValue == String {
        { text in
            guard let value = Value(rawValue: text.lowercased()) else {
                return .failure(Reason("\"\(text)\" is not one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            return .success(value)
        }
    }

    private static func metricList(_ text: String) -> Result<[MetricType], Reason> {
        var metrics: [MetricType] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let type = MetricType(rawValue: name.lowercased()) else {
                return .failure(Reason("unknown metric \"\(name)\"; expected price and/or volume"))
            }
            guard !metrics.contains(type) else { return .failure(Reason("\"\(name)\" is listed twice")) }
            metrics.append(type)
        }
        return metrics.isEmpty ? .failure(Reason("must name at least one of price, volume")) : .success(metrics)
    }

    private static func tickerList(_ text: String) -> Result<[Settings.Market], Reason> {
        var markets: [Settings.Market] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            do {
                let ticker = try Ticker(parsing: item)
                guard UpstreamKind.serving(exchange: ticker.exchange) != nil else {
                    return .failure(
                        Reason(
                            "no built-in upstream for \(ticker.exchange) (built in: \(UpstreamKind.exchangeNames.joined(separator: ", "))); list such markets in a config file with their upstreams"
                        ))
                }
                guard !markets.contains(where: { $0.ticker == ticker }) else { return .failure(Reason("\(ticker) is listed twice")) }
                markets.append(Settings.Market(ticker: ticker, upstreams: []))
            } catch {
                return .failure(Reason(error.description))
            }
        }
        return markets.isEmpty ? .failure(Reason("must list at least one ticker, such as KRAKEN:BTCUSD")) : .success(markets)
    }

    private static func httpURL(_ text: String) -> Result<String, Reason> {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            return .failure(Reason("\"\(text)\" is not an http:// or https:// URL"))
        }
        return .success(text)
    }
}
