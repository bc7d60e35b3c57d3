import Logging
import MetricsAPI
import MetricsCore
import QuoteSources

/// Everything the service needs to know, resolved from flags, environment, config file and
/// defaults (in that order of precedence) and validated: an invalid value never gets this far.
struct Settings: Sendable {
    enum Source: String, CaseIterable, Sendable {
        /// The exchanges' public APIs (or whatever `upstreams.<name>.base_url` points at).
        case exchanges
        /// The built-in simulation, for offline demos.
        case simulated
    }

    /// One configured exchange market list entry.
    struct Market: Hashable, Sendable {
        let ticker: Ticker
        /// Upstreams in order of preference; empty means the one named after the exchange.
        let upstreams: [UpstreamKind]
    }

    /// Per-upstream overrides.
    struct Upstream: Hashable, Sendable {
        var baseURL: String?
        var apiKey: String?
        var timeoutSeconds: Double?
        /// Retries of a failed request within a cycle.
        var retries: Int?
        /// Replaces the exchange's documented public limit: for a paid tier, or a local endpoint.
        var requestsPerSecond: Double?
    }

    var host = "127.0.0.1"
    var port = 8080
    var database = DatabaseLocation.sqlite(path: "cryptometrics.sqlite")
    /// Connections each process keeps to PostgreSQL at most.
    var databasePoolSize = 10
    var source = Source.exchanges
    var poll = true
    var pollIntervalSeconds: Double = 60
    var metrics: [MetricType] = [.price, .volume]
    var markets: [Market] = Settings.defaultMarkets
    var upstreams: [UpstreamKind: Upstream] = [:]
    var logLevel = Logger.Level.info
    /// A quote whose exchange timestamp is older than this is refused.
    var maximumQuoteAgeSeconds: Double = 600
    /// Consecutive failed batches that open an upstream's circuit breaker.
    var breakerFailureThreshold = 3
    /// How long an open breaker leaves its upstream alone before probing (doubling per failed probe).
    var breakerOpenSeconds: Double = 30
    /// Memory for rendered responses of popular metrics, in MiB; 0 renders every request.
    var responseCacheMegabytes = 64
    /// Where `poll` serves its own /healthz, /readyz, /status and /ops/metrics; none when nil.
    var operationsPort: Int?
    /// Whether webhooks may go to loopback and private addresses (`alerts.allow_private_targets`):
    /// off, so that a subscription cannot make the service call into its own network.
    var alertsAllowPrivateTargets = false
    /// How long a webhook receiver has to answer before the attempt counts as failed.
    var alertsDeliveryTimeoutSeconds = 10.0
    /// How long a connection may go without a whole request head (idle, or a head sent too slowly).
    var httpIdleTimeoutSeconds = 30.0
    /// The origins whose pages may call the API from a browser (CORS); none: off.
    var httpCrossOrigins: [String] = []
    /// Writes each API key may make a minute once its burst is spent; 0: no limit.
    var httpKeyWritesPerMinute = WriteRateLimit.default.perMinute
    /// Writes each API key may make at once.
    var httpKeyWriteBurst = WriteRateLimit.default.burst

    /// The original app's market list: 10 tickers, 20 metrics.
    static let defaultMarkets: [Market] = {
        let lists = [
            ("KRAKEN", ["BTCUSD", "ETHUSD", "LTCUSD", "MANAUSD", "DOGEUSD", "USDTUSD"]),
            ("ZONDA", ["BTCUSD", "ETHUSD", "LTCUSD", "USDTUSD"]),
        ]
        return lists.flatMap { exchange, pairs in
            pairs.map { Market(ticker: try! Ticker(parsing: "\(exchange):\($0)"), upstreams: []) }
        }
    }()

    /// The poller's plan for these settings: with `--source simulated` every market is simulated.
    var pollPlan: PollPlan {
        PollPlan(
            markets: markets.map { market in
                let order: [UpstreamKind] =
                    source == .simulated
                    ? [.simulated]
                    : (market.upstreams.isEmpty ? [UpstreamKind.serving(exchange: market.ticker.exchange)!] : market.upstreams)
                return PollPlan.Market(ticker: market.ticker, upstreams: order.map(\.rawValue))
            },
            metrics: metrics,
            interval: .milliseconds(Int64((pollIntervalSeconds * 1000).rounded())),
            maximumQuoteAge: .milliseconds(Int64(maximumQuoteAgeSeconds * 1000)),
            breaker: CircuitBreaker.Configuration(
                failureThreshold: breakerFailureThreshold,
                openDuration: .milliseconds(Int64(breakerOpenSeconds * 1000)),
                maximumOpenDuration: max(.seconds(300), .milliseconds(Int64(breakerOpenSeconds * 1000)))
            )
        )
    }

    /// The adapters the plan names, configured.
    func makeUpstreams() -> [any QuoteUpstream] {
        let used = Set(pollPlan.markets.flatMap(\.upstreams)).compactMap(UpstreamKind.init(rawValue:))
        return used.map { kind in
            let overrides = upstreams[kind] ?? Upstream()
            // Leaves room in the interval for storing, so that one hung upstream does not make
            // every cycle overrun its slot.
            let timeout = overrides.timeoutSeconds ?? min(10, pollIntervalSeconds * 0.7)
            let rateLimit = overrides.requestsPerSecond.map { perSecond in
                perSecond >= 1
                    ? RateLimit(requests: Int(perSecond), per: .seconds(1))
                    : RateLimit(requests: 1, per: .milliseconds(Int64(1000 / perSecond)))
            }
            return kind.makeUpstream(
                baseURL: overrides.baseURL,
                apiKey: overrides.apiKey,
                http: UpstreamHTTPClient(
                    upstream: kind.rawValue,
                    timeout: .milliseconds(Int64(timeout * 1000)),
                    retry: RetryPolicy(maximumRetries: overrides.retries ?? 2),
                    rateLimit: rateLimit ?? kind.rateLimit
                )
            )
        }
    }
}

extension Settings {
    /// The bounds on what one client may send, for the server and the router.
    var httpLimits: HTTPLimits {
        HTTPLimits(idleTimeout: .milliseconds(Int64(httpIdleTimeoutSeconds * 1_000)))
    }
}
