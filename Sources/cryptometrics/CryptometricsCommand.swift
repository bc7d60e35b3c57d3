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
        subcommands: [ServeCommand.self, PollCommand.self, ImportCommand.self, KeysCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// Options shared by every command that opens the database. Each flag's key, environment variable
/// and default come from its ``Setting``.
struct StoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            Setting.database.help(
                "SQLite database file, or postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE]; its schema is created on first start."
            )))
    var database: String?

    @Option(help: "JSON config file (markets, poll_interval_seconds, metrics, upstreams, ...). [env: CRYPTOMETRICS_CONFIG]")
    var config: String?

    @Option(help: ArgumentHelp(Setting.logLevel.help("Log level: trace, debug, info, notice, warning, error, critical.")))
    var logLevel: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values[Setting.database.key] = database
        values["config"] = config
        values[Setting.logLevel.key] = logLevel
        return values
    }
}

/// Options of the commands that poll.
struct PollOptions: ParsableArguments {
    @Option(help: ArgumentHelp(Setting.source.help("Where quotes come from: exchanges (their public APIs) or simulated (offline demo).")))
    var source: String?

    @Option(help: ArgumentHelp(Setting.pollInterval.help("Seconds between poll cycles, 1 or more.")))
    var pollInterval: String?

    @Option(
        help: ArgumentHelp(
            Setting.tickers.help("Comma-separated tickers to poll instead of the configured markets, e.g. KRAKEN:BTCUSD,ZONDA:ETHUSD."))
    )
    var tickers: String?

    @Option(help: ArgumentHelp(Setting.metrics.help("Comma-separated metrics to store: price, volume.")))
    var metrics: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values[Setting.source.key] = source
        values[Setting.pollInterval.key] = pollInterval
        values[Setting.tickers.key] = tickers
        values[Setting.metrics.key] = metrics
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
