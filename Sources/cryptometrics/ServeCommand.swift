import ArgumentParser
import Hummingbird

/// `cryptometrics serve`: the API and the poller in one process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and poll the upstreams (the default command)."
    )

    @Option(help: "Address to listen on. [env: CRYPTOMETRICS_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one. [env: CRYPTOMETRICS_PORT] (default: 8080)")
    var port: String?

    @Flag(
        help:
            "Serve the API only, without polling: another process (cryptometrics poll or import) writes the database. [env: CRYPTOMETRICS_POLL=false]"
    )
    var noPoll = false

    @Option(
        help:
            "Memory for rendered responses of popular metrics, in MiB; 0 renders every request. [env: CRYPTOMETRICS_RESPONSE_CACHE_MB] (default: 64)"
    )
    var responseCacheMb: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var polling: PollOptions

    func run() async throws {
        var arguments = store.values.merging(polling.values) { first, _ in first }
        arguments["host"] = host
        arguments["port"] = port
        arguments["response_cache_mb"] = responseCacheMb
        if noPoll { arguments["poll"] = "false" }
        let settings = try loadSettings(arguments)
        let logger = bootstrapLogging(settings)
        let app = try buildApplication(settings, logger: logger)
        try await app.runService()
    }
}
