import ArgumentParser
import Foundation
import Logging

/// `cryptometrics`: polls cryptocurrency quotes from exchanges, stores their history and serves
/// volatility statistics over HTTP. A bare `cryptometrics` runs `serve`.
@main
struct CryptometricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptometrics",
        abstract: "Poll crypto quotes from exchanges, keep their history, serve statistics over HTTP.",
        discussion: """
            Settings come from flags, then environment variables, then the config file (--config), then \
            defaults. Environment variables are CRYPTOMETRICS_ followed by the config key in upper case: \
            CRYPTOMETRICS_PORT, CRYPTOMETRICS_POLL_INTERVAL_SECONDS, CRYPTOMETRICS_UPSTREAMS_KRAKEN_BASE_URL. \
            See README.md for the config file.
            """,
        subcommands: [ServeCommand.self, PollCommand.self, ImportCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// Options shared by every command that opens the database.
struct StoreOptions: ParsableArguments {
    @Option(
        help: "SQLite database file, created with its schema on first start. [env: CRYPTOMETRICS_DATABASE] (default: cryptometrics.sqlite)")
    var database: String?

    @Option(help: "JSON config file (markets, poll_interval_seconds, metrics, upstreams, ...). [env: CRYPTOMETRICS_CONFIG]")
    var config: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [env: CRYPTOMETRICS_LOG_LEVEL] (default: info)")
    var logLevel: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values["database"] = database
        values["config"] = config
        values["log_level"] = logLevel
        return values
    }
}

/// Options of the commands that poll.
struct PollOptions: ParsableArguments {
    @Option(
        help:
            "Where quotes come from: exchanges (their public APIs) or simulated (offline demo). [env: CRYPTOMETRICS_SOURCE] (default: exchanges)"
    )
    var source: String?

    @Option(help: "Seconds between poll cycles, 1 or more. [env: CRYPTOMETRICS_POLL_INTERVAL_SECONDS] (default: 60)")
    var pollInterval: String?

    @Option(
        help:
            "Comma-separated tickers to poll instead of the configured markets, e.g. KRAKEN:BTCUSD,ZONDA:ETHUSD. [env: CRYPTOMETRICS_TICKERS]"
    )
    var tickers: String?

    @Option(help: "Comma-separated metrics to store: price, volume. [env: CRYPTOMETRICS_METRICS] (default: price,volume)")
    var metrics: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values["source"] = source
        values["poll_interval_seconds"] = pollInterval
        values["tickers"] = tickers
        values["metrics"] = metrics
        return values
    }
}

/// Resolves settings for a command; a configuration error ends the process with its message.
func loadSettings(_ arguments: [String: String]) throws -> Settings {
    try SettingsLoader(arguments: arguments, environment: ProcessInfo.processInfo.environment).settings()
}

/// Sends logs to standard error at the configured level. Called once per process.
func bootstrapLogging(_ settings: Settings) -> Logger {
    let level = settings.logLevel
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "cryptometrics")
}
