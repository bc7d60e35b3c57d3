import Foundation
import Logging
import MetricsAPI
import MetricsCore
import QuoteSources

/// One setting, declared once: its config key, the JSON type a config file gives it, its default
/// as help shows it, what a valid value looks like, and where it goes in ``Settings``. The config
/// file's keys, the environment variable's name, the flags' help and the loader all come from the
/// lists here (``all``, ``Setting/Upstream/all``); a new setting is one more entry.
struct Setting: Sendable {
    /// The key in a config file, and (upper-cased, under `CRYPTOMETRICS_`) in the environment.
    let key: String
    /// The JSON type a config file gives it; `nil` for one a file does not hold (`tickers`: a file
    /// lists `markets`).
    let fileKind: ConfigFile.ValueKind?
    /// The default, for help text; `nil` where help says nothing of it.
    let defaultText: String?
    /// Reads a value's text into `settings`, or says what a valid value looks like.
    let apply: @Sendable (_ text: String, _ settings: inout Settings) -> Result<Void, Reason>

    /// What is wrong with a value, for ``ConfigurationError``.
    struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// The environment variable that sets it: `CRYPTOMETRICS_POLL_INTERVAL_SECONDS`.
    var environmentVariable: String { Self.environmentVariable(for: key) }

    static func environmentVariable(for key: String) -> String {
        "CRYPTOMETRICS_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// A flag's help: what it does, then where else it comes from and its default.
    func help(_ text: String) -> String {
        "\(text) [env: \(environmentVariable)]" + (defaultText.map { " (default: \($0))" } ?? "")
    }

    /// A setting read by `parse` into the property at `path`; its default is that property's
    /// value in `Settings()`, shown by `describe` (`nil`: not shown).
    static func value<Value>(
        _ key: String, file: ConfigFile.ValueKind?, _ path: WritableKeyPath<Settings, Value> & Sendable,
        _ parse: @escaping @Sendable (String) -> Result<Value, Reason>,
        describe: ((Value) -> String)? = { "\($0)" }
    ) -> Setting {
        Setting(key: key, fileKind: file, defaultText: describe.map { $0(Settings()[keyPath: path]) }) { text, settings in
            parse(text).map { settings[keyPath: path] = $0 }
        }
    }
}

extension Setting {
    static let host = value("host", file: .string, \.host, Parse.nonEmpty("a host name or address, such as 127.0.0.1 or 0.0.0.0"))
    static let port = value("port", file: .integer, \.port, Parse.integer(in: 0...65_535, "a port number from 0 (any free port) to 65535"))
    static let database = value("database", file: .string, \.database, Parse.database) { $0.description }
    static let databasePoolSize = value(
        "database_pool_size", file: .integer, \.databasePoolSize, Parse.integer(in: 1...1_000, "a number of connections from 1 to 1000"))
    static let source = value("source", file: .string, \.source, Parse.oneOf(Settings.Source.self)) { $0.rawValue }
    static let poll = value("poll", file: .bool, \.poll, Parse.boolean)
    static let pollInterval = value(
        "poll_interval_seconds", file: .number, \.pollIntervalSeconds, Parse.number(in: 1...86_400, "a number of seconds from 1 to 86400"),
        describe: Self.seconds)
    static let metrics = value("metrics", file: .stringList, \.metrics, Parse.metricList) { $0.map(\.rawValue).joined(separator: ",") }
    static let tickers = value("tickers", file: nil, \.markets, Parse.tickerList, describe: nil)
    static let logLevel = value("log_level", file: .string, \.logLevel, Parse.oneOf(Logger.Level.self)) { $0.rawValue }
    static let responseCache = value(
        "response_cache_mb", file: .integer, \.responseCacheMegabytes,
        Parse.integer(in: 0...65_536, "a number of MiB from 0 (no cache) to 65536"))
    static let operationsPort = value(
        "ops_port", file: .integer, \.operationsPort,
        { text in Parse.integer(in: 0...65_535, "a port number from 0 (any free port) to 65535")(text).map { Optional($0) } },
        describe: nil)
    static let maximumQuoteAge = value(
        "max_quote_age_seconds", file: .number, \.maximumQuoteAgeSeconds,
        Parse.number(in: 1...86_400, "a number of seconds from 1 to 86400"), describe: Self.seconds)
    static let breakerFailureThreshold = value(
        "breaker_failure_threshold", file: .integer, \.breakerFailureThreshold,
        Parse.integer(in: 1...1_000, "a number of failed cycles from 1 to 1000"))
    static let breakerOpen = value(
        "breaker_open_seconds", file: .number, \.breakerOpenSeconds, Parse.number(in: 0.1...3_600, "a number of seconds from 0.1 to 3600"),
        describe: Self.seconds)

    static let alertsAllowPrivateTargets = value(
        "alerts.allow_private_targets", file: .bool, \.alertsAllowPrivateTargets, Parse.boolean)
    static let alertsDeliveryTimeout = value(
        "alerts.delivery_timeout_seconds", file: .number, \.alertsDeliveryTimeoutSeconds,
        Parse.number(in: 0.1...60, "a number of seconds from 0.1 to 60"), describe: Self.seconds)

    static let httpIdleTimeout = value(
        "http.idle_timeout_seconds", file: .number, \.httpIdleTimeoutSeconds,
        Parse.number(in: 1...3_600, "a number of seconds from 1 to 3600"), describe: Self.seconds)
    static let httpCrossOrigins = value(
        "http.cors_origins", file: .stringList, \.httpCrossOrigins, Parse.originList,
        describe: { $0.isEmpty ? "none: CORS off" : $0.joined(separator: ",") })
    static let httpKeyWritesPerMinute = value(
        "http.key_writes_per_minute", file: .integer, \.httpKeyWritesPerMinute,
        Parse.integer(in: 0...1_000_000, "a number of writes a minute from 0 (no limit) to 1000000"))
    static let httpKeyWriteBurst = value(
        "http.key_write_burst", file: .integer, \.httpKeyWriteBurst,
        Parse.integer(in: 1...1_000_000, "a number of writes from 1 to 1000000"))

    /// Whole seconds without a fraction (`60`), others as they are (`0.5`).
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// Every setting but `markets` (a list of objects, only in a file) and the upstreams' (below),
    /// in the order they are read. `tickers` comes last: it replaces a file's `markets`.
    static let all: [Setting] = [
        host, port, database, databasePoolSize, source, poll, pollInterval, metrics, logLevel, responseCache,
        operationsPort, maximumQuoteAge, breakerFailureThreshold, breakerOpen, alertsAllowPrivateTargets, alertsDeliveryTimeout,
        httpIdleTimeout, httpCrossOrigins, httpKeyWritesPerMinute, httpKeyWriteBurst, tickers,
    ]

    /// One setting of each upstream, `upstreams.<name>.<key>`.
    struct Upstream: Sendable {
        let key: String
        let fileKind: ConfigFile.ValueKind
        /// Only an upstream that takes an API key has it.
        let needsAPIKey: Bool
        /// Another environment variable that sets it, as the original app named it.
        let environmentAlias: String?
        let apply: @Sendable (_ text: String, _ upstream: inout Settings.Upstream) -> Result<Void, Reason>

        static func value<Value>(
            _ key: String, file: ConfigFile.ValueKind, needsAPIKey: Bool = false, environmentAlias: String? = nil,
            _ path: WritableKeyPath<Settings.Upstream, Value?> & Sendable, _ parse: @escaping @Sendable (String) -> Result<Value, Reason>
        ) -> Upstream {
            Upstream(key: key, fileKind: file, needsAPIKey: needsAPIKey, environmentAlias: environmentAlias) { text, upstream in
                parse(text).map { upstream[keyPath: path] = $0 }
            }
        }

        static let all: [Upstream] = [
            value("base_url", file: .string, \.baseURL, Parse.httpURL),
            value("timeout_seconds", file: .number, \.timeoutSeconds, Parse.number(in: 0.1...300, "a number of seconds from 0.1 to 300")),
            value("retries", file: .integer, \.retries, Parse.integer(in: 0...10, "a number of retries from 0 to 10")),
            value(
                "requests_per_second", file: .number, \.requestsPerSecond,
                Parse.number(in: 0.01...100_000, "a number of requests per second from 0.01")),
            value("api_key", file: .string, needsAPIKey: true, environmentAlias: "CRYPTO_API_KEY", \.apiKey, Parse.nonEmpty("the API key")),
        ]

        /// The settings `kind` has.
        static func of(_ kind: UpstreamKind) -> [Upstream] {
            all.filter { !$0.needsAPIKey || kind.takesAPIKey }
        }
    }
}

/// How each kind of value is read, each saying what a valid value looks like.
enum Parse {
    typealias Reason = Setting.Reason

    static func nonEmpty(_ expected: String) -> @Sendable (String) -> Result<String, Reason> {
        { $0.isEmpty ? .failure(Reason("must not be empty; expected \(expected)")) : .success($0) }
    }

    static func integer(in range: ClosedRange<Int>, _ expected: String) -> @Sendable (String) -> Result<Int, Reason> {
        { text in
            guard let value = Int(text), range.contains(value) else { return .failure(Reason("\"\(text)\" is not \(expected)")) }
            return .success(value)
        }
    }

    static func number(in range: ClosedRange<Double>, _ expected: String) -> @Sendable (String) -> Result<Double, Reason> {
        { text in
            guard let value = DecimalText.parse(text), range.contains(value) else {
                return .failure(Reason("\"\(text)\" is not \(expected)"))
            }
            return .success(value)
        }
    }

    /// A `postgres://` URL, checked now so that a mistyped one stops the process at start, or
    /// else a SQLite file's path.
    @Sendable static func database(_ text: String) -> Result<DatabaseLocation, Reason> {
        if text.isEmpty {
            return .failure(Reason("must not be empty; expected the path of a SQLite file or a postgres:// URL"))
        }
        do {
            return .success(try DatabaseLocation(text))
        } catch {
            return .failure(Reason("\(error.reason) (in a PostgreSQL URL)"))
        }
    }

    @Sendable static func boolean(_ text: String) -> Result<Bool, Reason> {
        switch text.lowercased() {
        case "true", "1", "yes": .success(true)
        case "false", "0", "no": .success(false)
        default: .failure(Reason("\"\(text)\" is not true or false"))
        }
    }

    static func oneOf<Value: RawRepresentable & CaseIterable & Sendable>(_ type: Value.Type) -> @Sendable (String) -> Result<Value, Reason>
    where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        let values = Dictionary(Value.allCases.map { ($0.rawValue, $0) }) { first, _ in first }
        return { text in
            guard let value = values[text.lowercased()] else {
                return .failure(Reason("\"\(text)\" is not one of \(names.joined(separator: ", "))"))
            }
            return .success(value)
        }
    }

    @Sendable static func metricList(_ text: String) -> Result<[MetricType], Reason> {
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

    @Sendable static func originList(_ text: String) -> Result<[String], Reason> {
        let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for origin in origins {
            if let problem = CrossOriginPolicy.problem(with: origin) { return .failure(Reason(problem)) }
        }
        return .success(origins)
    }

    @Sendable static func tickerList(_ text: String) -> Result<[Settings.Market], Reason> {
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

    @Sendable static func httpURL(_ text: String) -> Result<String, Reason> {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            // Not repeated: a malformed URL may still hold a password.
            return .failure(Reason("is not an http:// or https:// URL"))
        }
        // A base URL is shown in logs and /status: it may not carry credentials (not repeated here).
        guard url.user == nil, url.password == nil else {
            return .failure(Reason("the URL must not carry a user or password; an upstream's key goes in its api_key"))
        }
        return .success(text)
    }
}
