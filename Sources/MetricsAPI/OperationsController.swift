import Hummingbird
import MetricsCore
import MetricsStore
import Prometheus

/// What operators look at: `GET /status` (the poller's view of each ticker and upstream) and
/// `GET /ops/metrics` (Prometheus exposition; the API already owns `/metrics`).
struct OperationsController {
    /// The poller's status, or `nil` in a process that does not poll (`serve --no-poll`).
    let status: (@Sendable () -> PollStatus)?
    /// Every poller's leases, when the store shares tickers among pollers (PostgreSQL).
    let leases: (any TickerLeases)?
    let registry: PrometheusCollectorRegistry?

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("status") { _, _ in
            var pollers: [LeaseHolderStatus]?
            if let leases {
                do {
                    pollers = try await leases.leaseHolders(at: .now)
                } catch {
                    return APIError(.serviceUnavailable, "The pollers' leases cannot be read from the database: \(error)").response()
                }
            }
            if let status {
                return JSONBody.response(StatusBody(status: status(), pollers: pollers))
            }
            guard let pollers else {
                return APIError(
                    .notFound,
                    "This process does not poll (serve --no-poll); ask the process that polls for its /status."
                ).response()
            }
            return JSONBody.response(PollersBody(pollers: pollers))
        }
        router.get("ops/metrics") { _, _ in
            guard let registry else { return APIError(.notFound, "Operational metrics are not collected in this process.").response() }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }
}

/// `GET /status` in a process that polls: keys sorted, as every body of the API.
struct StatusBody: JSONBodyWritable {
    let status: PollStatus
    let pollers: [LeaseHolderStatus]?

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("interval_seconds")
        json.float(status.intervalSeconds)
        json.raw(",")
        json.key("last_cycle")
        optionalTimestamp(status.lastCycle, &json)
        json.raw(",")
        json.key("last_cycle_ms")
        if let milliseconds = status.lastCycleMilliseconds { json.integer(milliseconds) } else { json.raw("null") }
        json.raw(",")
        if let pollers {
            PollersBody.writePollers(pollers, to: &json)
            json.raw(",")
        }
        json.key("store_error")
        json.optionalString(status.storeError)
        json.raw(",")
        json.key("tickers")
        json.raw("[")
        for (index, ticker) in status.tickers.enumerated() {
            if index > 0 { json.raw(",") }
            write(ticker, to: &json)
        }
        json.raw("],")
        json.key("unstored_cycles")
        json.integer(status.unstoredCycles)
        json.raw(",")
        json.key("upstreams")
        json.raw("[")
        for (index, upstream) in status.upstreams.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("breaker")
            json.string(upstream.breaker)
            json.raw(",")
            json.key("consecutive_failures")
            json.integer(upstream.consecutiveFailures)
            json.raw(",")
            json.key("endpoint")
            json.string(upstream.endpoint)
            json.raw(",")
            json.key("name")
            json.string(upstream.name)
            json.raw(",")
            json.key("probe_at")
            optionalTimestamp(upstream.probeAt, &json)
            json.raw("}")
        }
        json.raw("]}")
    }

    private func write(_ ticker: PollStatus.TickerStatus, to json: inout JSONWriter) {
        json.raw("{")
        json.key("consecutive_failures")
        json.integer(ticker.consecutiveFailures)
        json.raw(",")
        json.key("last_error")
        if let failure = ticker.lastError {
            json.raw("{")
            json.key("at")
            json.timestamp(failure.at.microsecondsSince1970)
            json.raw(",")
            json.key("kind")
            json.string(failure.kind)
            json.raw(",")
            json.key("reason")
            json.string(failure.reason)
            json.raw(",")
            json.key("upstream")
            json.string(failure.upstream)
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw(",")
        json.key("last_success")
        optionalTimestamp(ticker.lastSuccess, &json)
        json.raw(",")
        json.key("last_upstream")
        json.optionalString(ticker.lastUpstream)
        json.raw(",")
        json.key("ticker")
        json.string(ticker.ticker.description)
        json.raw(",")
        json.key("upstreams")
        json.raw("[")
        for (index, name) in ticker.upstreams.enumerated() {
            if index > 0 { json.raw(",") }
            json.string(name)
        }
        json.raw("]}")
    }

    private func optionalTimestamp(_ timestamp: Timestamp?, _ json: inout JSONWriter) {
        if let timestamp { json.timestamp(timestamp.microsecondsSince1970) } else { json.raw("null") }
    }
}

/// `GET /status` in a process that does not poll, on a store whose pollers share the tickers:
/// who holds what, until when, as the database says.
struct PollersBody: JSONBodyWritable {
    let pollers: [LeaseHolderStatus]

    func write(to json: inout JSONWriter) {
        json.raw("{")
        Self.writePollers(pollers, to: &json)
        json.raw("}")
    }

    /// The `pollers` key and its array.
    static func writePollers(_ pollers: [LeaseHolderStatus], to json: inout JSONWriter) {
        json.key("pollers")
        json.raw("[")
        for (index, poller) in pollers.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("expires_at")
            json.timestamp(poller.expiresAt.microsecondsSince1970)
            json.raw(",")
            json.key("id")
            json.string(poller.holder.id)
            json.raw(",")
            json.key("name")
            json.string(poller.holder.name)
            json.raw(",")
            json.key("seen_at")
            json.timestamp(poller.seenAt.microsecondsSince1970)
            json.raw(",")
            json.key("tickers")
            json.raw("[")
            for (position, ticker) in poller.tickers.enumerated() {
                if position > 0 { json.raw(",") }
                json.string(ticker.description)
            }
            json.raw("]}")
        }
        json.raw("]")
    }
}
