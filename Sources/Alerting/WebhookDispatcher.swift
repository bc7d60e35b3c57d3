import AsyncHTTPClient
import Foundation
import Logging
import MetricsCore
import MetricsStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Delivers the outbox's events as signed webhooks, in every instance, at least once.
///
/// It claims due events with a lease a little longer than one attempt can take, sends each as
/// Standard Webhooks defines (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and reports
/// each attempt back; an instance that dies mid-attempt leaves its lease to run out, and another
/// sends the event again. Deliveries run concurrently, at most one per subscription (the outbox
/// hands out only a subscription's oldest event), each bounded by the timeout, so one slow
/// receiver holds up only its own events.
public struct WebhookDispatcher: Service {
    public struct Configuration: Sendable {
        /// How long a receiver has to answer.
        public var timeout: Duration
        /// Deliveries in flight at once, over every subscription.
        public var concurrency: Int
        /// How often the outbox is read when nothing rings: events recorded by other instances, and
        /// retries falling due, are picked up within this.
        public var pollInterval: Duration
        /// How long finished attempts are gathered before they are reported in one transaction.
        public var reportDelay: Duration

        public init(
            timeout: Duration = .seconds(10), concurrency: Int = 64, pollInterval: Duration = .milliseconds(500),
            reportDelay: Duration = .milliseconds(20)
        ) {
            self.timeout = timeout
            self.concurrency = concurrency
            self.pollInterval = pollInterval
            self.reportDelay = reportDelay
        }

        /// The lease on a claimed event: the longest an attempt can take (resolving the host, then
        /// the timeout), and time to report back.
        var lease: Duration { WebhookTargetPolicy.resolutionTimeout.duration + timeout + .seconds(2) }
    }

    private let outbox: any AlertOutbox
    private let targets: WebhookTargetPolicy
    private let configuration: Configuration
    private let newEvents: Doorbell
    private let client: HTTPClient
    private let logger: Logger
    private let now: @Sendable () -> Timestamp
    private let schedule = DeliverySchedule()
    private let telemetry = DeliveryTelemetry()
    /// This dispatcher, in the name of each lease it takes.
    let holder = "dispatcher-" + UUID().uuidString.lowercased()

    /// - Parameter newEvents: rung by the detector when it records events, so that they go out
    ///   at once rather than at the next poll.
    public init(
        outbox: any AlertOutbox, targets: WebhookTargetPolicy, configuration: Configuration = Configuration(), newEvents: Doorbell,
        logger: Logger, now: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        self.outbox = outbox
        self.targets = targets
        self.configuration = configuration
        self.newEvents = newEvents
        self.logger = logger
        self.now = now
        self.client = .webhooks
    }

    /// Delivers until the service shuts down. A graceful shutdown claims nothing more and gives
    /// the attempts under way a second to finish (the process has two to stop); those that do not
    /// are abandoned and their events released, for another instance to send at once.
    public func run() async throws {
        let stopping = Doorbell()
        await withGracefulShutdownHandler {
            await dispatch(until: stopping)
        } onGracefulShutdown: {
            stopping.ring()
            newEvents.ring()
        }
    }

    /// How long attempts under way may go on after a graceful shutdown began.
    static var shutdownGrace: Duration { .seconds(1) }

    /// An event under way, and the lease it was claimed with.
    private struct Claim: Hashable {
        let event: Int64
        let lease: String
    }

    private enum Step: Sendable {
        case wake
        case report
        case grace
        case attempted(event: Int64, lease: String, DeliveryAttempt?)
    }

    /// Claims and delivers until `stopping` rings (a graceful stop) or the task is cancelled (an
    /// abrupt one, which reports nothing more and leaves its leases to run out, as a crash would).
    func dispatch(until stopping: Doorbell = Doorbell()) async {
        await withTaskGroup(of: Step.self) { group in
            /// Events under way, each under the lease it was claimed with (an event may be claimed
            /// again by this dispatcher after its lease ran out, while the first attempt still runs).
            var inFlight: Set<Claim> = []
            var finished: [String: [DeliveryAttempt]] = [:]
            var claims = 0
            var waking = false
            var reporting = false
            var failing = false
            var stopped = false
            var nextPrune = ContinuousClock.now
            while !Task.isCancelled, !stopped {
                stopped = stopping.take()
                do {
                    if ContinuousClock.now >= nextPrune {
                        // Settled events are kept for a while to be looked at, then dropped.
                        nextPrune = ContinuousClock.now + .seconds(3_600)
                        let pruned = try await outbox.pruneSettledEvents(
                            before: now().adding(microseconds: -DeliveryRetention.keptMicroseconds))
                        if pruned > 0 { logger.info("alerts: dropped \(pruned) settled events older than 30 days") }
                    }
                    for (lease, attempts) in finished {
                        try await outbox.complete(attempts, holder: lease)
                        finished[lease] = nil
                    }
                    if !stopped, inFlight.count < configuration.concurrency {
                        let time = now()
                        // A lease of its own for each claim: a report that comes after its lease
                        // ran out, and the event was claimed again, moves nothing.
                        claims += 1
                        let lease = "\(holder)/\(claims)"
                        let claimed = try await outbox.claimEvents(
                            limit: configuration.concurrency - inFlight.count, holder: lease, now: time,
                            leaseUntil: time.adding(microseconds: configuration.lease.microseconds))
                        for event in claimed {
                            inFlight.insert(Claim(event: event.event.id, lease: lease))
                            group.addTask { .attempted(event: event.event.id, lease: lease, await deliver(event)) }
                        }
                    }
                    if failing {
                        logger.info("alerts: the outbox answers again")
                        failing = false
                    }
                } catch {
                    if !failing { logger.error("alerts: cannot read or write the outbox; deliveries wait: \(error)") }
                    failing = true
                }
                if stopped { break }
                if !waking {
                    waking = true
                    // At full concurrency only a finished attempt makes room: poll no faster.
                    let wait =
                        inFlight.count >= configuration.concurrency
                        ? configuration.pollInterval : ((try? await sleepUntilDue()) ?? configuration.pollInterval)
                    group.addTask { [newEvents] in
                        await newEvents.wait(upTo: max(wait, .milliseconds(10)))
                        return .wake
                    }
                }
                // Wait for the next thing to do: a ring or the poll, or finished attempts to report.
                while let step = await group.next() {
                    switch step {
                    case .wake:
                        waking = false
                    case .report:
                        reporting = false
                    case .grace:
                        continue
                    case .attempted(let event, let lease, let attempt):
                        inFlight.remove(Claim(event: event, lease: lease))
                        if let attempt { finished[lease, default: []].append(attempt) }
                        if !reporting, !finished.isEmpty {
                            reporting = true
                            group.addTask { [delay = configuration.reportDelay] in
                                try? await Task.sleep(for: delay)
                                return .report
                            }
                        }
                        continue
                    }
                    break
                }
            }
            if stopped, !Task.isCancelled {
                // Graceful: a second for the attempts under way, then they are abandoned.
                group.addTask {
                    try? await Task.sleep(for: Self.shutdownGrace)
                    return .grace
                }
                while !inFlight.isEmpty, let step = await group.next() {
                    switch step {
                    case .attempted(let event, let lease, let attempt?):
                        inFlight.remove(Claim(event: event, lease: lease))
                        finished[lease, default: []].append(attempt)
                    case .attempted:
                        // Cancelled: abandoned, and released below.
                        continue
                    case .grace:
                        group.cancelAll()
                    case .wake, .report:
                        continue
                    }
                }
            }
            group.cancelAll()
            while let step = await group.next() {
                if case .attempted(let event, let lease, let attempt?) = step {
                    inFlight.remove(Claim(event: event, lease: lease))
                    finished[lease, default: []].append(attempt)
                }
            }
            guard !Task.isCancelled else { return }
            for (lease, attempts) in finished { try? await outbox.complete(attempts, holder: lease) }
            for claim in inFlight { try? await outbox.release(event: claim.event, holder: claim.lease) }
        }
    }

    /// How long until the next event falls due, within the poll interval.
    private func sleepUntilDue() async throws -> Duration {
        guard let due = try await outbox.nextDueTime() else { return configuration.pollInterval }
        let wait = Duration.microseconds(max(due.microsecondsSince1970 - now().microsecondsSince1970, 0))
        return min(wait, configuration.pollInterval)
    }

    /// One attempt; `nil` when cancelled by the shutdown.
    func deliver(_ claimed: ClaimedEvent) async -> DeliveryAttempt? {
        let clock = ContinuousClock()
        let started = clock.now
        let attemptedAt = now()
        let event = claimed.event
        let answer: DeliverySchedule.Answer
        var status: Int?
        var failure: String?
        do {
            let approval = try await targets.approve(claimed.webhookURL)
            let response = try await send(event, secret: claimed.secret, at: attemptedAt, to: approval)
            status = response.status
            switch response.status {
            case 200..<300:
                answer = .success
            case 410:
                answer = .gone
                failure = "the receiver answered 410 Gone; the subscription is paused"
            case 408, 429, 500...:
                answer = .failure(retryAfter: response.retryAfter)
                failure = "the receiver answered \(response.status)"
            default:
                // A redirect (not followed) or a client error: sending the same again will not help.
                answer = .rejected
                failure = "the receiver answered \(response.status), which is not retried"
            }
        } catch let error as WebhookTargetError {
            if Task.isCancelled { return nil }
            answer = .failure(retryAfter: nil)
            failure = "webhook.url \(error)"
        } catch is CancellationError {
            return nil
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            if Task.isCancelled { return nil }
            answer = .failure(retryAfter: nil)
            failure = "no answer within \(configuration.timeout)"
        } catch {
            if Task.isCancelled { return nil }
            answer = .failure(retryAfter: nil)
            failure = "could not reach the receiver: \(error)"
        }
        let outcome = schedule.outcome(of: answer, attempt: event.attempts + 1, at: attemptedAt, retryUntil: claimed.retryUntil)
        let latency = (clock.now - started).microseconds
        let attempt = DeliveryAttempt(
            eventID: event.id, attemptedAt: attemptedAt, latencyMicroseconds: latency, statusCode: status, error: failure, outcome: outcome)
        telemetry.count(attempt)
        if let failure {
            logger.info(
                "alerts: event \(event.id) of subscription \(event.subscriptionID) not delivered (\(failure)); \(outcome.description)")
        }
        return attempt
    }

    private struct Answer: Sendable {
        let status: Int
        let retryAfter: Duration?
    }

    /// The status of an answer whose body is still coming.
    private final class ArrivedHead: Sendable {
        let answer = Mutex<Answer?>(nil)
    }

    /// POSTs the event's body, signed, to the approved target: to its pinned address when its host
    /// is a name, with redirects not followed, within the timeout.
    private func send(_ event: AlertEvent, secret: String, at time: Timestamp, to target: WebhookTargetPolicy.Approval) async throws
        -> Answer
    {
        guard let secret = WebhookSecret(secret) else {
            throw WebhookDeliveryError.unreadableSecret(subscription: event.subscriptionID)
        }
        let body = Array(event.body.utf8)
        let timestamp = time.microsecondsSince1970 / 1_000_000
        var request = HTTPClientRequest(url: target.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cryptometrics-webhooks")
        request.headers.add(name: "webhook-id", value: event.webhookID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: secret.signature(id: event.webhookID, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = configuration.timeout
        guard let pinned = target.pinnedAddress else {
            return try await Self.execute(request, on: client, timeout: timeout)
        }
        // A client of its own that connects to the address judged, while TLS still checks the
        // certificate against the URL's host.
        var configuration = HTTPClient.Configuration.webhooks
        configuration.dnsOverride = [target.host: pinned.description]
        let pinnedClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let answer = try await Self.execute(request, on: pinnedClient, timeout: timeout)
            try? await pinnedClient.shutdown()
            return answer
        } catch {
            try? await pinnedClient.shutdown()
            throw error
        }
    }

    /// The exchange, body included, within `timeout`: AsyncHTTPClient's deadline ends with the
    /// response's head, and a receiver that sends its status and then dribbles the body must not
    /// hold the attempt past its lease. The status counts once it has arrived.
    private static func execute(_ request: HTTPClientRequest, on client: HTTPClient, timeout: Duration) async throws -> Answer {
        let head = ArrivedHead()
        return try await withThrowingTaskGroup(of: Answer?.self) { group in
            group.addTask {
                let response = try await client.execute(request, timeout: .microseconds(timeout.microseconds))
                let answer = Answer(
                    status: Int(response.status.code),
                    retryAfter: response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) })
                head.answer.withLock { $0 = answer }
                // The body says nothing we keep; reading a little of it lets the connection be
                // reused. The status stands whatever happens to the body.
                var left = 16 * 1_024
                do {
                    for try await part in response.body {
                        left -= part.readableBytes
                        if left <= 0 { break }
                    }
                } catch {}
                return answer
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            if let answer = first ?? head.answer.withLock({ $0 }) { return answer }
            throw HTTPClientError.deadlineExceeded
        }
    }
}

enum WebhookDeliveryError: Error, CustomStringConvertible {
    case unreadableSecret(subscription: Int64)

    var description: String {
        switch self {
        case .unreadableSecret(let subscription): "subscription \(subscription)'s signing secret cannot be read"
        }
    }
}

extension DeliveryAttempt.Outcome: CustomStringConvertible {
    public var description: String {
        switch self {
        case .delivered: "delivered"
        case .retry(let time): "retrying at \(time)"
        case .dead: "no more retries: the event is dead"
        case .gone: "the subscription is paused"
        }
    }
}

extension HTTPClient.Configuration {
    /// Webhooks: redirects never followed (a receiver must not send us elsewhere, past the guard
    /// on where we may go), and a pool that keeps connections to busy receivers.
    static var webhooks: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        // A refused connection fails the attempt at once, as what it is, and the delivery schedule
        // retries it; the pool's own retries would hold a delivery slot until the timeout and report
        // "no answer" instead.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }
}

extension HTTPClient {
    /// The client every delivery to an address given as such (or, where private targets are
    /// allowed, to any host) shares; it lives as long as the process.
    static let webhooks = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .webhooks)
}

extension TimeAmount {
    var duration: Duration { .nanoseconds(nanoseconds) }
}
