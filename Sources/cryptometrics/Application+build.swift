import Alerting
import Foundation
import Hummingbird
import Logging
import Metrics
import MetricsAPI
import MetricsCore
import MetricsStore
import PostgresStore
import Prometheus
import QuoteSources
import SQLiteStore
import ServiceLifecycle

/// Builds the whole service from settings over an open store: the statistics following it, the
/// router over them, and the poller as a service beside the server unless polling is off. The
/// `serve` command and the integration tests both build the service through here.
func buildApplication(
    _ settings: Settings,
    store: any MetricStore,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    // First: swift-metrics binds each metric to the backend there is when the metric is made, and
    // the poller's HTTP clients make theirs when they are built.
    let telemetry = Telemetry.registry
    let statistics = LiveStatistics(store: store)
    let stream = SampleStream(statistics: statistics)
    var services: [any Service] = [StatisticsService(statistics: statistics, stream: stream, logger: logger)]
    var pollStatus: (@Sendable () -> PollStatus)?
    if settings.poll {
        let poller = buildPoller(settings, store: store, logger: logger)
        pollStatus = { poller.monitor.snapshot() }
        services.append(poller)
    } else {
        logger.info("polling is off (--no-poll): serving what other processes store in \(settings.database)")
    }
    let subscriptions = subscriptionRoutes(store, settings)
    if let subscriptions {
        // Alerts: detected where the statistics are, delivered from the outbox by every instance.
        let eventsRecorded = Doorbell()
        services.append(
            AlertDetectionService(
                statistics: statistics, outbox: subscriptions.outbox, subscriptionsChanged: subscriptions.changed,
                eventsRecorded: eventsRecorded, logger: logger))
        services.append(
            WebhookDispatcher(
                outbox: subscriptions.outbox, targets: subscriptions.targets,
                configuration: WebhookDispatcher.Configuration(timeout: .milliseconds(Int64(settings.alertsDeliveryTimeoutSeconds * 1000))),
                newEvents: eventsRecorded, logger: logger))
        services.append(StreamAlertsService(stream: stream, outbox: subscriptions.outbox, logger: logger))
    }
    return Application(
        router: buildRouter(
            statistics: statistics,
            stream: stream,
            responseCacheBytes: settings.responseCacheMegabytes << 20,
            pollStatus: pollStatus,
            leases: store as? any TickerLeases,
            telemetry: telemetry,
            subscriptions: subscriptions,
            limits: settings.httpLimits,
            crossOrigin: CrossOriginPolicy(origins: settings.httpCrossOrigins)
        ),
        server: settings.httpLimits.server,
        configuration: ApplicationConfiguration(
            address: .hostname(settings.host, port: settings.port),
            serverName: "cryptometrics"
        ),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? settings.port
            logger.info(
                "serving the API on http://\(settings.host):\(port) (the dashboard is at /, the API is described at /openapi.json)")
            await onServerRunning(port)
        },
        logger: logger
    )
}

/// Where the process's operational metrics go: one Prometheus registry, made the swift-metrics
/// backend the first time it is needed (once per process; the tests start many services in one).
enum Telemetry {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// The poller for `settings` over `store`. On a store with leases (PostgreSQL), it shares the
/// tickers with the other pollers of the database, under a name that tells its host and process.
func buildPoller(_ settings: Settings, store: any MetricStore, logger: Logger) -> Poller {
    let plan = settings.pollPlan
    let sharing = (store as? any TickerLeases).map { leases in
        let process = ProcessInfo.processInfo
        return TickerSharing(
            leases: leases,
            holder: LeaseHolder(id: UUID().uuidString.lowercased(), name: "\(process.hostName):\(process.processIdentifier)"),
            interval: plan.interval)
    }
    return Poller(plan: plan, upstreams: settings.makeUpstreams(), store: store, logger: logger, sharing: sharing)
}

/// Opens the store `--database` names for the length of `body`, creating its schema on first
/// start: the one place that knows which implementations exist. Everything else sees only
/// ``MetricStore``.
///
/// A process that polls waits only briefly for another process's SQLite write (see
/// ``SQLiteMetricStore/init(path:busyTimeout:)``): it keeps refused cycles and stores them later.
func withStore<Result>(
    _ settings: Settings, logger: Logger, polling: Bool, _ body: (any MetricStore) async throws -> Result
) async throws -> Result {
    switch settings.database {
    case .sqlite(let path):
        let store = try SQLiteMetricStore(path: path, busyTimeout: polling ? .seconds(1) : SQLiteMetricStore.defaultBusyTimeout)
        logger.info("database: \(path) (SQLite, WAL)")
        return try await body(store)
    case .postgres(let location):
        return try await PostgresMetricStore.withStore(
            at: location, maximumConnections: settings.databasePoolSize, connectionWait: polling ? .milliseconds(500) : .seconds(5),
            logger: logger
        ) {
            store in
            logger.info("database: \(location) (PostgreSQL)")
            return try await body(store)
        }
    }
}

/// What `--database` names: a `postgres://` (or `postgresql://`) URL, or else a SQLite file's path.
enum DatabaseLocation: Hashable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    init(_ text: String) throws(PostgresLocationError) {
        if PostgresLocation.isURL(text) {
            self = .postgres(try PostgresLocation(url: text))
        } else if text.contains("://") || text.lowercased().hasPrefix("postgres:") || text.lowercased().hasPrefix("postgresql:") {
            // A mistyped scheme must not become a file named after the URL, password and all (the
            // path is shown in logs); and the message does not repeat the text, for the same reason.
            throw PostgresLocationError("it looks like a URL but is not postgres:// or postgresql://; a SQLite database is a file path")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The path, or the URL without its password.
    var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}

/// Keeps the statistics following the store for as long as the server runs.
struct StatisticsService: Service {
    let statistics: LiveStatistics
    /// Where each refresh's new samples are published.
    let stream: SampleStream
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            let started = ContinuousClock.now
            _ = try? await statistics.refresh()
            if statistics.isLoaded {
                let (metrics, samples) = statistics.read { ($0.metrics.count, $0.sampleCount) }
                logger.info(
                    "statistics ready: \(metrics) metrics, \(samples) samples in memory, loaded in \(ContinuousClock.now - started)")
            }
            await statistics.run(logger: logger, refreshed: stream.publish)
        }
    }
}

/// Carries the alerts any instance records to the clients of `GET /stream` opened with their
/// subscriptions' keys.
struct StreamAlertsService: Service {
    let stream: SampleStream
    let outbox: any AlertOutbox
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await stream.followAlerts(in: outbox, logger: logger) }
    }
}

/// The subscription routes over `store`, which keeps keys and subscriptions (every store does).
private func subscriptionRoutes(_ store: any MetricStore, _ settings: Settings) -> SubscriptionRoutes? {
    guard let keys = store as? any APIKeyStore, let subscriptions = store as? any SubscriptionStore,
        let outbox = store as? any AlertOutbox
    else { return nil }
    return SubscriptionRoutes(
        keys: keys, store: subscriptions, outbox: outbox,
        targets: WebhookTargetPolicy(allowPrivateTargets: settings.alertsAllowPrivateTargets),
        writeLimit: WriteRateLimit(perMinute: settings.httpKeyWritesPerMinute, burst: settings.httpKeyWriteBurst))
}
