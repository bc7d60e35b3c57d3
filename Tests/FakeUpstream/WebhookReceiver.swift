import Hummingbird
import Logging
import Synchronization
import TestSupport

/// A webhook receiver on 127.0.0.1 for tests: it records every request and answers each path by
/// its script (200, 500, 429 with `Retry-After`, 410 Gone, or no answer for a while), so that
/// every delivery path can be driven.
public final class WebhookReceiver: Sendable {
    public enum Reply: Sendable, Equatable {
        case status(Int)
        /// 429 Too Many Requests with `Retry-After: seconds`.
        case tooManyRequests(retryAfterSeconds: Int)
        /// No answer for `seconds` (past the sender's timeout), then 200 to a sender that has long
        /// gone: bounded, so that the server still shuts down promptly.
        case hang(seconds: Double)
        /// No answer until ``release()`` (at most a minute), then 200.
        case holdUntilReleased
    }

    /// One request as it arrived.
    public struct Received: Sendable {
        public let path: String
        public let headers: [String: String]
        public let body: [UInt8]
        /// What the receiver answered.
        public let reply: Reply
    }

    private struct State {
        var scripts: [String: [Reply]] = [:]
        var received: [Received] = []
        var released = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Answers the requests to `path` with `replies` in turn, the last one from then on; a path
    /// without a script answers 200.
    public func script(_ path: String, _ replies: [Reply]) {
        state.withLock { $0.scripts[path] = replies }
    }

    /// Lets every request held by ``Reply/holdUntilReleased`` be answered.
    public func release() {
        state.withLock { $0.released = true }
    }

    /// Every request so far, in arrival order.
    public var received: [Received] { state.withLock { $0.received } }

    public func received(on path: String) -> [Received] { received.filter { $0.path == path } }

    /// Runs the receiver for the duration of `body`, which gets its base URL.
    public func withRunning<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let router = Router()
        router.post("**") { request, _ in try await self.answer(request) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withRunningService(app, logger: logger) {
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    private func answer(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let path = request.uri.path
        let reply = state.withLock { state in
            guard var replies = state.scripts[path], let first = replies.first else { return Reply.status(200) }
            if replies.count > 1 {
                replies.removeFirst()
                state.scripts[path] = replies
            }
            return first
        }
        state.withLock {
            $0.received.append(Received(path: path, headers: headers, body: Array(body.readableBytesView), reply: reply))
        }
        switch reply {
        case .status(let code):
            return Response(status: HTTPResponse.Status(code: code))
        case .tooManyRequests(let seconds):
            return Response(status: .tooManyRequests, headers: [.retryAfter: String(seconds)])
        case .hang(let seconds):
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
            return Response(status: .ok)
        case .holdUntilReleased:
            let clock = ContinuousClock()
            let end = clock.now + .seconds(60)
            while !state.withLock({ $0.released }), clock.now < end {
                try? await Task.sleep(for: .milliseconds(20))
            }
            return Response(status: .ok)
        }
    }
}
