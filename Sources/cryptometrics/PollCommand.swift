import ArgumentParser
import Logging
import ServiceLifecycle

/// `cryptometrics poll`: the poller alone, writing the database that `serve --no-poll` reads.
struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Poll the upstreams and store samples, without serving the API."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var polling: PollOptions

    func run() async throws {
        let settings = try loadSettings(store.values.merging(polling.values) { first, _ in first })
        let logger = bootstrapLogging(settings)
        try await withStore(settings, logger: logger, polling: true) { store in
            let poller = buildPoller(settings, store: store, logger: logger)
            let group = ServiceGroup(
                configuration: .init(services: [poller], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            )
            try await group.run()
        }
    }
}
