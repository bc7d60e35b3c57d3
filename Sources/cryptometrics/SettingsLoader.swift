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

    /// Reads `key` from the first layer that has it with `apply`, which says what is wrong with a
    /// bad value.
    private func read(
        _ key: String, environmentAlias: String? = nil, _ apply: (String) -> Result<Void, Setting.Reason>
    ) throws(ConfigurationError) {
        guard let (text, origin) = try lookup(key, environmentAlias: environmentAlias) else { return }
        if case .failure(let reason) = apply(text.trimmingCharacters(in: .whitespaces)) {
            throw ConfigurationError(origin: origin, key: key, reason: reason.text)
        }
    }

    func settings() throws(ConfigurationError) -> Settings {
        var settings = Settings()
        // A file's markets first: `tickers`, from any layer, replaces them.
        if let markets = file?.markets { settings.markets = markets }
        for setting in Setting.all {
            try read(setting.key) { setting.apply($0, &settings) }
        }
        for kind in UpstreamKind.allCases where kind != .simulated {
            var upstream = Settings.Upstream()
            for setting in Setting.Upstream.of(kind) {
                try read("upstreams.\(kind.rawValue).\(setting.key)", environmentAlias: setting.environmentAlias) {
                    setting.apply($0, &upstream)
                }
            }
            if upstream != Settings.Upstream() { settings.upstreams[kind] = upstream }
        }
        return settings
    }
}
