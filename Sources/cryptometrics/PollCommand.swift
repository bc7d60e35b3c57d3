import ArgumentParser
import Hummingbird
import Logging
import MetricsAPI
import MetricsStore
import ServiceLifecycle

/// `cryptometrics poll`: the poller alone, writing the database that `serve --no-poll` reads.
/// With `--ops-port`, it also answers operators on its own: health, its status and leases, and
/// its operational metrics.
struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Poll the upstreams and store samples, without serving the API."
    )

    @Option(
        help: ArgumentHelp(
            Setting.operationsPort.help("Serve /healthz, /readyz, /status and /ops/metrics of this poller on this port (0: any free one)."))
    )
    var opsPort: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var polling: PollOptions

    func run() async throws {
        var arguments = store.values.merging(polling.values) { first, _ in first }
        arguments[Setting.operationsPort.key] = opsPort
        let settings = try loadSettings(arguments)
        let logger = bootstrapLogging(settings)
        // Before the poller: its telemetry binds to the backend there is when it is built.
        let telemetry = settings.operationsPort.map { _ in Telemetry.registry }
        try await withStore(settings, logger: logger, polling: true) { store in
            let poller = buildPoller(settings, store: store, logger: logger)
            guard let port = settings.operationsPort else {
                let group = ServiceGroup(
                    configuration: .init(services: [poller], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                )
                try await group.run()
                return
            }
            let app = Application(
                router: buildOperationsRouter(
                    store: store, pollStatus: { poller.monitor.snapshot() }, leases: store as? any TickerLeases, telemetry: telemetry),
                server: settings.httpLimits.server,
                configuration: ApplicationConfiguration(address: .hostname(settings.host, port: port), serverName: "cryptometrics"),
                services: [poller],
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? port
                    logger.info("serving this poller's /healthz, /readyz, /status and /ops/metrics on http://\(settings.host):\(port)")
                },
                logger: logger
            )
            try await app.runService()
        }
    }
}
