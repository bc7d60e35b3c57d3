import ArgumentParser
import Hummingbird

/// `cryptometrics serve`: the API and the poller in one process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and poll the upstreams (the default command)."
    )

    @Option(help: ArgumentHelp(Setting.host.help("Address to listen on.")))
    var host: String?

    @Option(help: ArgumentHelp(Setting.port.help("Port to listen on; 0 picks a free one.")))
    var port: String?

    @Flag(
        help:
            "Serve the API only, without polling: another process (cryptometrics poll or import) writes the database. [env: CRYPTOMETRICS_POLL=false]"
    )
    var noPoll = false

    @Option(
        help: ArgumentHelp(Setting.responseCache.help("Memory for rendered responses of popular metrics, in MiB; 0 renders every request."))
    )
    var responseCacheMb: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var polling: PollOptions

    func run() async throws {
        var arguments = store.values.merging(polling.values) { first, _ in first }
        arguments[Setting.host.key] = host
        arguments[Setting.port.key] = port
        arguments[Setting.responseCache.key] = responseCacheMb
        if noPoll { arguments[Setting.poll.key] = "false" }
        let settings = try loadSettings(arguments)
        let logger = bootstrapLogging(settings)
        try await withStore(settings, logger: logger, polling: settings.poll) { store in
            try await buildApplication(settings, store: store, logger: logger).runService()
        }
    }
}
