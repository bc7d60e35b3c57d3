import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import MetricsCore
import NIOCore
import NIOHTTP1
import Synchronization

/// GET requests to one upstream, made to survive the real world: paced to the exchange's rate
/// limit, retried with backoff when a failure may pass, paused when the exchange says `Retry-After`,
/// and always done by the cycle's deadline (``RequestDeadline``).
///
/// Each attempt has a hard deadline on the whole exchange, body included, so that a server
/// dripping its answer byte by byte cannot hold up a poll cycle.
public struct UpstreamHTTPClient: Sendable {
    /// Bodies larger than this are refused: no quote endpoint sends that much.
    public static let maximumBodyBytes = 16 << 20
    /// An attempt with less time than this left before the deadline is not started.
    static let shortestAttempt: Duration = .milliseconds(20)

    let client: HTTPClient
    /// The upstream's name, for metrics.
    public let upstream: String
    /// Deadline for one attempt, from sending to the last body byte.
    public let timeout: Duration
    public let retry: RetryPolicy
    /// Paces requests to the exchange's limit; `nil` for none.
    public let pacer: RequestPacer?
    private let latency: Metrics.Timer
    private let requests = CounterFamily(TelemetryLabel.upstreamRequests)

    public init(
        upstream: String = "upstream",
        client: HTTPClient = .upstreams,
        timeout: Duration = .seconds(10),
        retry: RetryPolicy = RetryPolicy(),
        rateLimit: RateLimit? = nil
    ) {
        self.upstream = upstream
        self.client = client
        self.timeout = timeout
        self.retry = retry
        self.pacer = rateLimit.map(RequestPacer.init(limit:))
        self.latency = Metrics.Timer(
            label: TelemetryLabel.upstreamRequestDuration, dimensions: [("upstream", upstream)], preferredDisplayUnit: .seconds)
    }

    /// How many requests an adapter that asks pair by pair should have in flight: enough to use
    /// the rate limit (the pacer, not this, sets the pace), and a bounded number of connections.
    public var concurrentRequests: Int {
        min(max(pacer?.limit.requests ?? 8, 2), 32)
    }

    /// The response of a GET. Transport failures, timeouts, 5xx and 429 that outlast the retries,
    /// and cancellation come back as ``UpstreamError``; other statuses do not throw, because some
    /// exchanges explain themselves in the body.
    ///
    /// When every attempt fails, the error is the first attempt's: that is what the exchange did.
    /// What the retries then meet depends on timing as much as on the exchange (a 503 retried on a
    /// slow machine times out, or finds the cycle's budget spent), so reporting the last would
    /// tell an operator about the retry rather than the cause. Every attempt's outcome is still
    /// counted in `cryptometrics_upstream_requests_total`.
    func get(_ url: String, headers: [(String, String)] = []) async throws(UpstreamError) -> (status: Int, body: ByteBuffer) {
        let clock = ContinuousClock()
        let deadline = RequestDeadline.current ?? clock.now + timeout * (retry.maximumRetries + 1)
        var generator = SystemRandomNumberGenerator()
        var retries = 0
        var cause: UpstreamError?
        while true {
            let failure: UpstreamError
            var retryAfter: Duration?
            var sent = false
            do {
                let (status, body, retryAfterHeader) = try await attempt(
                    url, headers: headers, deadline: deadline, clock: clock, sent: &sent)
                if status == 429 || status == 418 {
                    retryAfter = retryAfterHeader
                    // The exchange asked for a pause: every request to it waits, not only this one.
                    pacer?.pause(until: clock.now + (retryAfterHeader ?? retry.ceiling(forRetry: retries + 1)))
                    failure = .rateLimited(retryAfterSeconds: retryAfterHeader?.seconds)
                } else if status == 408 || (500..<600).contains(status) {
                    // A 503 may say when to come back, too.
                    retryAfter = retryAfterHeader
                    failure = Self.statusError(status, body.readableBytesView)
                } else {
                    count("ok")
                    return (status, body)
                }
            } catch {
                failure = error
                if case .rateLimited(let seconds?) = error { retryAfter = .milliseconds(Int64(seconds * 1000)) }
            }
            // Only what reached the exchange counts as its answer.
            if sent { count(failure.kind) }
            if failure == .cancelled { throw .cancelled }
            let first = cause ?? failure
            cause = first
            guard RetryPolicy.isRetryable(failure), retries < retry.maximumRetries else { throw first }
            retries += 1
            let wait = retryAfter ?? retry.delay(forRetry: retries, using: &generator)
            // A retry that cannot finish before the deadline is not worth starting.
            guard clock.now + wait + Self.shortestAttempt < deadline else { throw first }
            do {
                try await clock.sleep(for: wait)
            } catch {
                throw .cancelled
            }
        }
    }

    /// One request: waits for its slot under the rate limit, then sends with whatever time is left.
    private func attempt(
        _ url: String, headers: [(String, String)], deadline: ContinuousClock.Instant, clock: ContinuousClock, sent: inout Bool
    ) async throws(UpstreamError) -> (Int, ByteBuffer, Duration?) {
        // The cycle's budget is spent: say so, rather than blame the exchange.
        guard deadline - clock.now >= Self.shortestAttempt else { throw .notSent("the cycle's budget was spent") }
        if let pacer {
            // A pause (`Retry-After`) that begins while this request waits for its slot holds it
            // back too: after each wait, look again.
            while true {
                let now = clock.now
                if let resume = pacer.pausedUntil(now: now), resume > deadline - Self.shortestAttempt {
                    throw .rateLimited(retryAfterSeconds: (resume - now).seconds)
                }
                guard let slot = pacer.reserve(now: now, notAfter: deadline - Self.shortestAttempt) else {
                    throw .notSent("\(upstream)'s rate limit (\(pacer.limit)) leaves no slot before the cycle's deadline")
                }
                if slot > clock.now {
                    do { try await clock.sleep(until: slot) } catch { throw .cancelled }
                }
                guard let resume = pacer.pausedUntil(now: clock.now), resume > clock.now else { break }
            }
        }
        let allowed = min(timeout, deadline - clock.now)
        guard allowed >= Self.shortestAttempt else { throw .notSent("the cycle's budget was spent") }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cryptometrics")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let client = self.client
        let prepared = request
        let started = clock.now
        sent = true
        defer { latency.recordNanoseconds((clock.now - started).nanoseconds) }
        do {
            return try await withThrowingTaskGroup(of: (Int, ByteBuffer, Duration?)?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: TimeAmount(allowed))
                    let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
                    let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
                    return (Int(response.status.code), body, retryAfter)
                }
                group.addTask {
                    // The client's deadline does not cover the body, which a server may drip: this
                    // one does. A little after the client's own, so that its more precise error
                    // (connection refused, say) wins when there is one, and little enough not to
                    // eat into the time the cycle keeps for storing.
                    try await Task.sleep(for: allowed + .milliseconds(20))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw UpstreamError.timedOut(seconds: allowed.seconds)
                }
                return result
            }
        } catch let error as UpstreamError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timedOut(seconds: allowed.seconds)
        } catch let error as NIOTooManyBytesError {
            throw .malformedBody("the body is larger than \(error.maxBytes.map { "\($0)" } ?? "the limit of") bytes")
        } catch {
            if Task.isCancelled { throw .cancelled }
            throw .unreachable(String(describing: error))
        }
    }

    private func count(_ outcome: String) {
        requests(("upstream", upstream), ("outcome", outcome)).increment()
    }

    static func statusError(_ status: Int, _ body: some Collection<UInt8>) -> UpstreamError {
        let text = String(decoding: body.prefix(120), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return .httpStatus(status, body: text)
    }

    /// Fails with ``UpstreamError/httpStatus(_:body:)`` unless the status is 2xx.
    static func requireSuccess(_ status: Int, _ body: some Collection<UInt8>) throws(UpstreamError) {
        guard (200..<300).contains(status) else { throw statusError(status, body) }
    }
}

extension HTTPClient {
    /// The client every upstream shares: AsyncHTTPClient's shared one but for its pool, which keeps
    /// up to 32 connections per host instead of 8, as many as an adapter asking pair by pair has in
    /// flight (``UpstreamHTTPClient/concurrentRequests``). With 8, a few slow pairs holding their
    /// connections until their timeout starve the rest of the exchange's pairs of a connection.
    /// It lives as long as the process, like `HTTPClient.shared`, so it is never shut down.
    public static let upstreams: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        // An exchange's API answers where it is asked. Following a redirect could carry an upstream's
        // key (X-CW-API-Key) to another host, or from https to http.
        configuration.redirectConfiguration = .disallow
        // A refused connection fails the request at once as unreachable, and the adapter's retry
        // policy decides what follows, within the cycle's budget; the pool's own retries would spend
        // the whole budget and report a timeout instead.
        configuration.connectionPool.retryConnectionEstablishment = false
        var logger = Logger(label: "cryptometrics.http")
        logger.logLevel = .critical
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
    }()
}
