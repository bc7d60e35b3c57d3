import Foundation
import MetricsCore
import PostgresStore
import TestSupport
import Testing

@testable import QuoteSources
@testable import cryptometrics

@Suite struct SettingsTests {
    private func load(
        file: String? = nil,
        arguments: [String: String] = [:],
        environment: [String: String] = [:]
    ) async throws -> Settings {
        try await withTemporaryDirectory { directory in
            var arguments = arguments
            if let file {
                let path = directory.appendingPathComponent("config.json").path
                try Data(file.utf8).write(to: URL(fileURLWithPath: path))
                arguments["config"] = path
            }
            return try SettingsLoader(arguments: arguments, environment: environment).settings()
        }
    }

    private func error(
        file: String? = nil,
        arguments: [String: String] = [:],
        environment: [String: String] = [:]
    ) async throws -> ConfigurationError {
        do {
            _ = try await load(file: file, arguments: arguments, environment: environment)
        } catch let error as ConfigurationError {
            return error
        }
        Issue.record("expected a configuration error")
        throw CancellationError()
    }

    @Test func defaultsAreTheOriginalsTwentyMetrics() async throws {
        let settings = try await load()
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.database == .sqlite(path: "cryptometrics.sqlite"))
        #expect(settings.source == .exchanges)
        #expect(settings.poll)
        #expect(settings.pollIntervalSeconds == 60)
        #expect(settings.metrics == [.price, .volume])
        #expect(settings.markets.count == 10)
        #expect(settings.pollPlan.metricKeys.count == 20)
        #expect(settings.pollPlan.markets.first?.upstreams == ["kraken"])
        #expect(settings.pollPlan.markets.last?.upstreams == ["zonda"])
    }

    @Test func readsTheOriginalsConfigFileUnchanged() async throws {
        let settings = try await load(
            file:
                #"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD", "ETHUSD", "LTCUSD", "MANAUSD", "DOGEUSD", "USDTUSD"]}, {"name": "ZONDA", "pairs": ["BTCUSD", "ETHUSD", "LTCUSD", "USDTUSD"]}]}"#
        )
        #expect(settings.markets == Settings.defaultMarkets)
    }

    @Test func readsEveryAddedKey() async throws {
        let settings = try await load(
            file: """
                {"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD"], "upstreams": ["kraken", "cryptowatch"]}, {"name": "BITSTAMP", "pairs": ["btc-eur"], "upstreams": ["cryptowatch"]}],
                 "poll_interval_seconds": 2.5, "metrics": ["price"], "port": 9000, "host": "0.0.0.0", "poll": false,
                 "source": "simulated", "database": "/tmp/x.sqlite", "log_level": "debug",
                 "upstreams": {"kraken": {"base_url": "http://127.0.0.1:1234"}, "cryptowatch": {"base_url": "http://127.0.0.1:5678/", "api_key": "k", "timeout_seconds": 3}}}
                """
        )
        #expect(settings.pollIntervalSeconds == 2.5)
        #expect(settings.metrics == [.price])
        #expect(settings.port == 9000)
        #expect(settings.host == "0.0.0.0")
        #expect(!settings.poll)
        #expect(settings.source == .simulated)
        #expect(settings.database == .sqlite(path: "/tmp/x.sqlite"))
        #expect(settings.logLevel == .debug)
        #expect(settings.markets.map(\.ticker.description) == ["KRAKEN:BTCUSD", "BITSTAMP:BTCEUR"])
        #expect(settings.markets[0].upstreams == [.kraken, .cryptowatch])
        #expect(settings.upstreams[.kraken]?.baseURL == "http://127.0.0.1:1234")
        #expect(settings.upstreams[.cryptowatch] == Settings.Upstream(baseURL: "http://127.0.0.1:5678/", apiKey: "k", timeoutSeconds: 3))
        #expect(settings.pollPlan.markets.allSatisfy { $0.upstreams == ["simulated"] }, "--source simulated simulates every market")
    }

    @Test func readsTheResilienceKeysAndTheNewExchanges() async throws {
        let settings = try await load(
            file: """
                {"markets": [{"name": "BINANCE", "pairs": ["BTCUSDT"]}, {"name": "GEMINI", "pairs": ["ETHUSD"], "upstreams": ["gemini", "cryptowatch"]}],
                 "poll_interval_seconds": 10, "max_quote_age_seconds": 120, "breaker_failure_threshold": 5, "breaker_open_seconds": 12.5,
                 "upstreams": {"binance": {"base_url": "http://127.0.0.1:1", "retries": 4, "requests_per_second": 0.5}}}
                """
        )
        let plan = settings.pollPlan
        #expect(plan.markets.map(\.upstreams) == [["binance"], ["gemini", "cryptowatch"]], "a market named after an exchange uses it")
        #expect(plan.maximumQuoteAge == .seconds(120))
        #expect(plan.breaker == CircuitBreaker.Configuration(failureThreshold: 5, openDuration: .milliseconds(12_500)))
        #expect(settings.upstreams[.binance]?.retries == 4)
        let binance = try #require(settings.makeUpstreams().first { $0.name == "binance" } as? BinanceUpstream)
        #expect(binance.http.retry.maximumRetries == 4)
        #expect(binance.http.pacer?.limit == RateLimit(requests: 1, per: .seconds(2)), "half a request a second")
        let gemini = try #require(settings.makeUpstreams().first { $0.name == "gemini" } as? GeminiUpstream)
        #expect(gemini.http.pacer?.limit == GeminiUpstream.rateLimit, "the documented limit by default")
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheFile() async throws {
        let file = #"{"port": 9000, "poll_interval_seconds": 30, "host": "10.0.0.1"}"#
        let settings = try await load(
            file: file,
            arguments: ["port": "9100"],
            environment: ["CRYPTOMETRICS_PORT": "9200", "CRYPTOMETRICS_POLL_INTERVAL_SECONDS": "5"]
        )
        #expect(settings.port == 9100)
        #expect(settings.pollIntervalSeconds == 5)
        #expect(settings.host == "10.0.0.1")
    }

    @Test func webhooksGoToPublicAddressesUnlessTheAlertsSectionSaysOtherwise() async throws {
        #expect(try await load().alertsAllowPrivateTargets == false)
        #expect(try await load(file: #"{"alerts": {"allow_private_targets": true}}"#).alertsAllowPrivateTargets)
        #expect(try await load(environment: ["CRYPTOMETRICS_ALERTS_ALLOW_PRIVATE_TARGETS": "true"]).alertsAllowPrivateTargets)
        let unknown = try await error(file: #"{"alerts": {"allow_private": true}}"#)
        #expect(unknown.key == "alerts.allow_private" && unknown.reason.contains("allow_private_targets"), "\(unknown)")
        let notAnObject = try await error(file: #"{"alerts": true}"#)
        #expect(notAnObject.key == "alerts" && notAnObject.reason.contains("must be an object"), "\(notAnObject)")
        let wrongType = try await error(file: #"{"alerts": {"allow_private_targets": "yes"}}"#)
        #expect(wrongType.key == "alerts.allow_private_targets", "\(wrongType)")
        let dotted = try await error(file: #"{"alerts.allow_private_targets": true}"#)
        #expect(dotted.key == "alerts.allow_private_targets" && dotted.reason.contains("unknown key"), "\(dotted)")
    }

    @Test func readsTheHTTPSection() async throws {
        let defaults = try await load()
        #expect(defaults.httpIdleTimeoutSeconds == 30 && defaults.httpCrossOrigins.isEmpty)
        #expect(defaults.httpKeyWritesPerMinute == 60 && defaults.httpKeyWriteBurst == 20)
        let settings = try await load(
            file: #"""
                {"http": {"idle_timeout_seconds": 5, "cors_origins": ["https://dash.example.com", "http://127.0.0.1:3000"],
                          "key_writes_per_minute": 0, "key_write_burst": 5}}
                """#)
        #expect(settings.httpIdleTimeoutSeconds == 5 && settings.httpLimits.idleTimeout == .seconds(5))
        #expect(settings.httpCrossOrigins == ["https://dash.example.com", "http://127.0.0.1:3000"])
        #expect(settings.httpKeyWritesPerMinute == 0 && settings.httpKeyWriteBurst == 5)
        let fromEnvironment = try await load(environment: ["CRYPTOMETRICS_HTTP_CORS_ORIGINS": "https://a.example.com, *"])
        #expect(fromEnvironment.httpCrossOrigins == ["https://a.example.com", "*"])
    }

    @Test func readsUpstreamsAndTickersFromTheEnvironment() async throws {
        let settings = try await load(
            environment: [
                "CRYPTOMETRICS_UPSTREAMS_ZONDA_BASE_URL": "http://127.0.0.1:7777",
                "CRYPTOMETRICS_TICKERS": "KRAKEN:BTCUSD, ZONDA:ETHUSD",
                "CRYPTO_API_KEY": "original-key",
            ]
        )
        #expect(settings.upstreams[.zonda]?.baseURL == "http://127.0.0.1:7777")
        #expect(settings.upstreams[.cryptowatch]?.apiKey == "original-key")
        #expect(settings.markets.map(\.ticker.description) == ["KRAKEN:BTCUSD", "ZONDA:ETHUSD"])
    }

    @Test func theOriginalsAPIKeyVariableBeatsTheFile() async throws {
        let settings = try await load(
            file: #"{"upstreams": {"cryptowatch": {"api_key": "from-file"}}}"#,
            environment: ["CRYPTO_API_KEY": "from-environment"]
        )
        #expect(settings.upstreams[.cryptowatch]?.apiKey == "from-environment")
        let own = try await load(environment: ["CRYPTO_API_KEY": "original", "CRYPTOMETRICS_UPSTREAMS_CRYPTOWATCH_API_KEY": "own"])
        #expect(own.upstreams[.cryptowatch]?.apiKey == "own")
    }

    @Test(arguments: [
        (#"{"pol_interval_seconds": 5}"#, "pol_interval_seconds", "unknown key"),
        (#"{"poll_interval_seconds": 0.5}"#, "poll_interval_seconds", "from 1 to 86400"),
        (#"{"poll_interval_seconds": "fast"}"#, "poll_interval_seconds", "must be a number"),
        (#"{"port": "8080"}"#, "port", "whole number"),
        (#"{"port": 70000}"#, "port", "port number"),
        (#"{"metrics": ["price", "bid"]}"#, "metrics", "unknown metric \"bid\""),
        (#"{"metrics": []}"#, "metrics", "at least one"),
        (#"{"source": "cryptowatch"}"#, "source", "exchanges, simulated"),
        (#"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD", "BTC_USD_X"]}]}"#, "markets[0].pairs[1]", "pair"),
        (#"{"markets": [{"name": "KRAKEN", "pairs": ["FOOBAR"]}]}"#, "markets[0].pairs[0]", "BASE-QUOTE"),
        (
            #"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD"]}, {"name": "BITFINEX", "pairs": ["BTCUSD"]}]}"#, "markets[1].name",
            "no built-in upstream"
        ),
        (#"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD", "btcusd"]}]}"#, "markets[0].pairs[1]", "listed twice"),
        (#"{"markets": [{"name": "KRAKEN", "pairs": []}]}"#, "markets[0].pairs", "non-empty"),
        (#"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD"], "upstream": "kraken"}]}"#, "markets[0].upstream", "unknown key"),
        (
            #"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD"], "upstreams": ["bitfinex"]}]}"#, "markets[0].upstreams[0]",
            "unknown upstream"
        ),
        (#"{"upstreams": {"kraken": {"base_url": "ftp://example.org"}}}"#, "upstreams.kraken.base_url", "http"),
        (#"{"upstreams": {"kraken": {"api_key": "x"}}}"#, "upstreams.kraken.api_key", "unknown key"),
        (#"{"upstreams": {"binance": {"retries": 11}}}"#, "upstreams.binance.retries", "from 0 to 10"),
        (#"{"upstreams": {"coinbase": {"requests_per_second": 0}}}"#, "upstreams.coinbase.requests_per_second", "requests per second"),
        (#"{"max_quote_age_seconds": 0}"#, "max_quote_age_seconds", "from 1 to 86400"),
        (#"{"breaker_failure_threshold": 0}"#, "breaker_failure_threshold", "from 1 to 1000"),
        (#"{"breaker_open_seconds": "soon"}"#, "breaker_open_seconds", "must be a number"),
        (#"{"upstreams": {"bitfinex": {"base_url": "http://127.0.0.1"}}}"#, "upstreams.bitfinex", "unknown upstream"),
        (#"{"http": {"cors_origins": ["https://dash.example.com/"]}}"#, "http.cors_origins", "nothing after it"),
        (#"{"http": {"cors_origins": "https://dash.example.com"}}"#, "http.cors_origins", "list of strings"),
        (#"{"http": {"idle_timeout_seconds": 0}}"#, "http.idle_timeout_seconds", "from 1 to 3600"),
        (#"{"http": {"key_write_burst": 0}}"#, "http.key_write_burst", "from 1 to 1000000"),
        (#"["not", "an", "object"]"#, "(file)", "JSON object"),
        (#"{"port": 80"#, "(file)", "not valid JSON"),
    ])
    func refusesABadFileNamingTheFileKeyAndReason(file: String, key: String, reason: String) async throws {
        let error = try await error(file: file)
        #expect(error.origin.hasSuffix("config.json"))
        #expect(error.key == key)
        #expect(error.reason.contains(reason), "\(error)")
        #expect(error.description.contains("config.json"))
    }

    /// Settings are declared once (``Setting``); the README's table is written by hand, so this
    /// holds it to the declarations: every key, with its environment variable.
    @Test func theReadmeDocumentsEverySetting() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for setting in Setting.all {
            if setting.fileKind != nil { #expect(readme.contains("| `\(setting.key)` |"), "\(setting.key)") }
            #expect(readme.contains("`\(setting.environmentVariable)`"), "\(setting.environmentVariable)")
        }
        for setting in Setting.Upstream.all {
            #expect(readme.contains(".\(setting.key)` |"), "upstreams.<name>.\(setting.key)")
            #expect(readme.contains("_\(setting.key.uppercased())`"), "CRYPTOMETRICS_UPSTREAMS_<NAME>_\(setting.key.uppercased())")
        }
        #expect(
            Setting.pollInterval.help("Seconds between cycles.")
                == "Seconds between cycles. [env: CRYPTOMETRICS_POLL_INTERVAL_SECONDS] (default: 60)")
        #expect(ConfigFile.scalarKeys["poll_interval_seconds"] == .number && ConfigFile.scalarKeys["tickers"] == nil)
    }

    @Test func aPostgreSQLURLIsCheckedAtStartAndItsPasswordNeverShown() async throws {
        let error = try await error(environment: ["CRYPTOMETRICS_DATABASE": "postgres://metrics:s3cret@db.internal/"])
        #expect(error.key == "database")
        #expect("\(error)".contains("names no database"))
        #expect(!"\(error)".contains("s3cret"))
        let settings = try SettingsLoader(
            arguments: [:],
            environment: [
                "CRYPTOMETRICS_DATABASE": "postgresql://metrics:s3cret@db.internal:6432/cryptometrics?sslmode=verify-full",
                "CRYPTOMETRICS_DATABASE_POOL_SIZE": "4",
            ]
        ).settings()
        guard case .postgres(let location) = settings.database else {
            Issue.record("a postgresql:// URL is a PostgreSQL database, not a file: \(settings.database)")
            return
        }
        #expect(location.port == 6432 && location.tlsMode == .verifyFull && location.password == "s3cret")
        #expect(settings.database.description == "postgres://metrics@db.internal:6432/cryptometrics")
        #expect(settings.databasePoolSize == 4)
    }

    @Test func aURLWithCredentialsInTheWrongPlaceIsRefusedWithoutShowingThem() async throws {
        // A scheme in capitals is still PostgreSQL's.
        let shouted = try await load(environment: ["CRYPTOMETRICS_DATABASE": "POSTGRES://metrics:s3cret@db.internal/metrics"])
        #expect(shouted.database.description == "postgres://metrics@db.internal:5432/metrics")
        // A mistyped scheme is not taken for a file's name (which would be logged, password and all).
        let mistyped = try await error(environment: ["CRYPTOMETRICS_DATABASE": "postgress://metrics:s3cret@db.internal/metrics"])
        #expect(mistyped.key == "database" && mistyped.reason.contains("not postgres://"), "\(mistyped)")
        #expect(!"\(mistyped)".contains("s3cret"))
        let slashless = try await error(environment: ["CRYPTOMETRICS_DATABASE": "postgres:/metrics:s3cret@db.internal/metrics"])
        #expect(slashless.key == "database" && !"\(slashless)".contains("s3cret"), "\(slashless)")
        // An upstream's base URL is shown in logs and /status: no credentials in it.
        let base = try await error(file: #"{"upstreams": {"kraken": {"base_url": "https://user:s3cret@kraken.example.com"}}}"#)
        #expect(base.key == "upstreams.kraken.base_url" && base.reason.contains("must not carry a user or password"), "\(base)")
        #expect(!"\(base)".contains("s3cret"))
        let malformed = try await error(file: #"{"upstreams": {"kraken": {"base_url": "ftp://user:s3cret@kraken.example.com"}}}"#)
        #expect(malformed.key == "upstreams.kraken.base_url" && !"\(malformed)".contains("s3cret"), "\(malformed)")
    }

    @Test func refusesABadEnvironmentVariableByName() async throws {
        let error = try await error(environment: ["CRYPTOMETRICS_PORT": "eighty"])
        #expect(error.origin == "environment variable CRYPTOMETRICS_PORT")
        #expect(error.key == "port")
        let interval = try await self.error(environment: ["CRYPTOMETRICS_POLL_INTERVAL_SECONDS": "0"])
        #expect(interval.origin == "environment variable CRYPTOMETRICS_POLL_INTERVAL_SECONDS")
    }

    @Test func refusesABadFlag() async throws {
        let error = try await error(arguments: ["tickers": "KRAKEN:BTCUSD,BITFINEX:BTCUSD"])
        #expect(error.origin == "the command line")
        #expect(error.key == "tickers")
    }

    @Test func refusesAMissingConfigFile() async throws {
        let error = try await error(arguments: ["config": "/nonexistent/cryptometrics.json"])
        #expect(error.origin == "/nonexistent/cryptometrics.json")
        #expect(error.reason.contains("cannot read"))
    }
}
