import PostgresNIO
import Synchronization

/// PostgresNIO's pool, with a bound on how long an operation waits for a connection.
///
/// While the server is away, the pool queues every request until its own circuit breaker trips,
/// a minute after the first failed connection; and a queued request does not always leave the
/// queue when its task is cancelled. A poller waiting that long stops polling, and a readiness
/// probe hangs. So the waiting is done by the pool's own tasks (``run()``), and the caller waits
/// for the handover at most ``connectionWait``: past it, it fails saying the database cannot be
/// reached, and its caller does what it does whenever the database refuses (the poller keeps the
/// cycle in memory, `/readyz` answers 503). A request given up on stays with the pool's tasks until
/// the pool answers it or shuts down, and then hands its connection straight back. An operation
/// that has its connection runs for as long as it needs (an import's transaction takes minutes).
struct PostgresPool: Sendable {
    let client: PostgresClient
    let connectionWait: Duration
    /// How many operations may be with the pool at once, waiting in PostgresNIO's queue or holding
    /// a connection, including waits whose caller gave up (PostgresNIO keeps them for up to a
    /// minute while the server is away); past it, an operation fails at once rather than queue one
    /// more, so that an outage under many requests costs bounded memory.
    let maximumQueued: Int
    private let health = PoolHealth()
    private let requests: AsyncStream<Handover<PostgresConnection>>
    private let submit: AsyncStream<Handover<PostgresConnection>>.Continuation

    init(client: PostgresClient, connectionWait: Duration, maximumQueued: Int = 4_096) {
        self.client = client
        self.connectionWait = connectionWait
        self.maximumQueued = maximumQueued
        (requests, submit) = AsyncStream.makeStream()
    }

    /// Runs the pool, and the waits for its connections, until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            for await handover in requests {
                group.addTask { await wait(for: handover) }
            }
        }
    }

    /// How long an operation may hold its connection unless it says otherwise.
    static let operationDeadline = Duration.seconds(60)
    /// The poller's small operations (a cycle's write, its leases, the newest samples at start):
    /// a few rows each, done in milliseconds, so 15 s is only ever reached by a connection that
    /// died without a word. Shorter, a loaded machine's slow turn would be taken for one.
    static let pollerOperationDeadline = Duration.seconds(15)

    /// Leases a connection for `body`, waiting for it at most `wait` (by default ``connectionWait``;
    /// 100 ms while the server was unreachable at the last try). Past `deadline` (none: an import's
    /// transaction), the connection is closed under `body`: a connection that dies without a word
    /// would otherwise hold its caller until TCP gives up, minutes later.
    func withConnection<Result>(
        wait: Duration? = nil, deadline: Duration? = Self.operationDeadline, _ body: (GuardedConnection) async throws -> Result
    ) async throws -> Result {
        let wait = try health.wait(upTo: wait ?? connectionWait, maximumQueued: maximumQueued)
        let handover = Handover<PostgresConnection>()
        guard case .enqueued = submit.yield(handover) else {
            health.leftQueue()
            throw PostgresPoolClosed()
        }
        let connection = try await withThrowingTaskGroup(of: PostgresConnection?.self) { group in
            group.addTask { try await handover.take() }
            group.addTask { [health] in
                // Cancelled: the caller gives up (take's cancellation handler), not a timeout.
                do { try await Task.sleep(for: wait) } catch { return nil }
                if handover.abandonIfWaiting(because: PostgresUnreachable(waited: wait)) { health.waitRanOut() }
                return nil
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let connection = finished { return connection }
            }
            throw CancellationError()
        }
        health.lent()
        defer {
            health.returned()
            handover.giveBack()
        }
        let guarded = GuardedConnection(connection)
        guard let deadline else { return try await body(guarded) }
        // A timer on the connection's own event loop, not a task: it must fire even when the
        // caller is cancelled (a graceful stop), since PostgresNIO's queries do not heed
        // cancellation either.
        let watchdog = connection.eventLoop.scheduleTask(in: TimeAmount(deadline)) {
            let _: EventLoopFuture<Void> = connection.close()
        }
        defer { watchdog.cancel() }
        return try await body(guarded)
    }

    /// Waits in the pool's queue on behalf of a caller, then lends the connection to it until it
    /// gives it back; a caller that gave up gets nothing, and the connection goes straight back.
    private func wait(for handover: Handover<PostgresConnection>) async {
        defer { health.leftQueue() }
        do {
            try await client.withConnection { connection in
                guard handover.offer(connection) else { return }
                await handover.returned()
            }
        } catch {
            handover.fail(error)
        }
    }
}

/// What the pool knows of the server, from its waits: whether the last one ran out with no
/// connection lent (then the server is away, and the next waits are short), and how many are
/// queued.
private final class PoolHealth: Sendable {
    private struct State {
        /// Whether the last wait ran out while no operation held a connection: the pool could
        /// not make one. A wait that runs out while connections are lent only met a busy pool,
        /// which says nothing of the server.
        var unreachable = false
        var queued = 0
        var lent = 0
    }

    private let state = Mutex(State())

    /// How long the next operation waits for a connection: `connectionWait`, or 100 ms while the
    /// server is away, so that a poller's lease renewal and write, one after the other, still fit
    /// in its interval. Counts the operation as queued, or throws when `maximumQueued` are.
    func wait(upTo connectionWait: Duration, maximumQueued: Int) throws -> Duration {
        try state.withLock { state in
            guard state.queued < maximumQueued else { throw PostgresUnreachable(waited: .zero) }
            state.queued += 1
            return state.unreachable ? min(connectionWait, .milliseconds(100)) : connectionWait
        }
    }

    func waitRanOut() {
        state.withLock { state in
            if state.lent == 0 { state.unreachable = true }
        }
    }

    /// An operation's wait is over: it had no connection, or has given it back.
    func leftQueue() { state.withLock { $0.queued -= 1 } }

    func lent() {
        state.withLock { state in
            state.unreachable = false
            state.lent += 1
        }
    }

    func returned() { state.withLock { $0.lent -= 1 } }
}

/// One connection's way from the pool's task to a caller and back. Generic over what is handed
/// over only so that its every order of events can be tested without a server.
final class Handover<Value: Sendable>: Sendable {
    private enum Delivery {
        case pending
        case waiting(CheckedContinuation<Value, any Error>)
        case ready(Value)
        case taken
        /// Given up on, for this reason.
        case abandoned(any Error)
        /// The pool could not lease one.
        case failed(any Error)
    }

    private enum Return {
        case lent
        case waiting(CheckedContinuation<Void, Never>)
        case returned
    }

    private let delivery = Mutex(Delivery.pending)
    private let giving = Mutex(Return.lent)

    /// The connection, once the pool hands it over; cancelling the wait gives up.
    func take() async throws -> Value {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Swift.Result<Value, any Error>? = delivery.withLock { state in
                    switch state {
                    case .pending:
                        state = .waiting(continuation)
                        return nil
                    case .ready(let connection):
                        state = .taken
                        return .success(connection)
                    case .abandoned(let error), .failed(let error):
                        return .failure(error)
                    case .waiting, .taken:
                        preconditionFailure("a handover is taken once")
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            _ = abandon(because: CancellationError(), evenIfReady: true)
        }
    }

    /// Whether a caller is suspended in ``take()``: for tests, which order events around it.
    var isTaking: Bool {
        delivery.withLock { state in
            if case .waiting = state { return true }
            return false
        }
    }

    /// Whether the pool's task is suspended in ``returned()``: for tests.
    var isAwaitingReturn: Bool {
        giving.withLock { state in
            if case .waiting = state { return true }
            return false
        }
    }

    /// Gives up waiting, with `error`, unless a connection is already there; true if it gave up.
    func abandonIfWaiting(because error: any Error) -> Bool {
        abandon(because: error, evenIfReady: false)
    }

    private func abandon(because error: any Error, evenIfReady: Bool) -> Bool {
        let (gaveUp, waiter): (Bool, CheckedContinuation<Value, any Error>?) = delivery.withLock { state in
            switch state {
            case .pending:
                state = .abandoned(error)
                return (true, nil)
            case .waiting(let continuation):
                state = .abandoned(error)
                return (true, continuation)
            case .ready where evenIfReady:
                state = .abandoned(error)
                return (true, nil)
            case .ready, .taken, .abandoned, .failed:
                return (false, nil)
            }
        }
        waiter?.resume(throwing: error)
        if gaveUp { giveBack() }
        return gaveUp
    }

    /// From the pool's task: lends `connection`, or refuses it if the caller gave up.
    func offer(_ connection: Value) -> Bool {
        let (accepted, waiter): (Bool, CheckedContinuation<Value, any Error>?) = delivery.withLock { state in
            switch state {
            case .pending:
                state = .ready(connection)
                return (true, nil)
            case .waiting(let continuation):
                state = .taken
                return (true, continuation)
            case .abandoned:
                return (false, nil)
            case .ready, .taken, .failed:
                preconditionFailure("a handover is offered once")
            }
        }
        waiter?.resume(returning: connection)
        return accepted
    }

    /// From the pool's task: the pool could not lease a connection. False when the caller had
    /// given up already.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        let (told, waiter): (Bool, CheckedContinuation<Value, any Error>?) = delivery.withLock { state in
            switch state {
            case .pending:
                state = .failed(error)
                return (true, nil)
            case .waiting(let continuation):
                state = .failed(error)
                return (true, continuation)
            case .ready, .taken, .abandoned, .failed:
                return (false, nil)
            }
        }
        waiter?.resume(throwing: error)
        return told
    }

    /// From the pool's task: waits until the caller is done with the connection.
    func returned() async {
        await withCheckedContinuation { continuation in
            let done = giving.withLock { state in
                guard case .lent = state else { return true }
                state = .waiting(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// From the caller: done with the connection (or never to take it).
    func giveBack() {
        let waiter: CheckedContinuation<Void, Never>? = giving.withLock { state in
            defer { state = .returned }
            guard case .waiting(let continuation) = state else { return nil }
            return continuation
        }
        waiter?.resume()
    }
}

/// No connection to PostgreSQL within the wait: the server is down, unreachable, or every
/// connection is busy.
struct PostgresUnreachable: Error, CustomStringConvertible {
    /// Zero when the operation did not wait: too many before it were still queued.
    let waited: Duration

    var description: String {
        let causes = "the server is down, unreachable, or every connection is busy"
        guard waited > .zero else {
            return "no connection to PostgreSQL: too many operations are waiting for one already; \(causes)"
        }
        return "no connection to PostgreSQL within \(waited.formatted(.units(allowed: [.seconds, .milliseconds]))): \(causes)"
    }
}

/// The pool stopped running (the process is stopping): no connection will come.
struct PostgresPoolClosed: Error, CustomStringConvertible {
    var description: String { "the connection pool to PostgreSQL has stopped: the process is shutting down" }
}
