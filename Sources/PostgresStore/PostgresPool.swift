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
    /// Whether the last wait ran out: then the next ones wait only briefly, so that a poller's
    /// lease renewal and write, one after the other, still fit in its interval.
    private let unreachable = Flag()
    private let requests: AsyncStream<Handover>
    private let submit: AsyncStream<Handover>.Continuation

    init(client: PostgresClient, connectionWait: Duration) {
        self.client = client
        self.connectionWait = connectionWait
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
    /// The poller's small operations (a cycle's write, its leases): a few rows each.
    static let pollerOperationDeadline = Duration.seconds(5)

    /// Leases a connection for `body`, waiting for it at most ``connectionWait`` (100 ms while the
    /// server was unreachable at the last try). Past `deadline` (none: an import's transaction),
    /// the connection is closed under `body`: a query on a connection that dies beneath it does not
    /// always fail by itself in PostgresNIO, and would hold its caller for ever.
    func withConnection<Result>(
        deadline: Duration? = Self.operationDeadline, _ body: (GuardedConnection) async throws -> Result
    ) async throws -> Result {
        let handover = Handover()
        submit.yield(handover)
        let wait = unreachable.isSet ? min(connectionWait, .milliseconds(100)) : connectionWait
        let connection = try await withThrowingTaskGroup(of: PostgresConnection?.self) { group in
            group.addTask { try await handover.take() }
            group.addTask { [unreachable] in
                // Cancelled: the caller gives up (take's cancellation handler), not a timeout.
                do { try await Task.sleep(for: wait) } catch { return nil }
                if handover.abandonIfWaiting(because: PostgresUnreachable(waited: wait)) { unreachable.set() }
                return nil
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let connection = finished { return connection }
            }
            throw CancellationError()
        }
        unreachable.clear()
        defer { handover.giveBack() }
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
    private func wait(for handover: Handover) async {
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

/// One connection's way from the pool's task to a caller and back.
private final class Handover: Sendable {
    private enum Delivery {
        case pending
        case waiting(CheckedContinuation<PostgresConnection, any Error>)
        case ready(PostgresConnection)
        case taken
        case abandoned
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
    func take() async throws -> PostgresConnection {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Swift.Result<PostgresConnection, any Error>? = delivery.withLock { state in
                    switch state {
                    case .pending:
                        state = .waiting(continuation)
                        return nil
                    case .ready(let connection):
                        state = .taken
                        return .success(connection)
                    case .abandoned:
                        return .failure(CancellationError())
                    case .failed(let error):
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

    /// Gives up waiting, with `error`, unless a connection is already there; true if it gave up.
    func abandonIfWaiting(because error: any Error) -> Bool {
        abandon(because: error, evenIfReady: false)
    }

    private func abandon(because error: any Error, evenIfReady: Bool) -> Bool {
        let (gaveUp, waiter): (Bool, CheckedContinuation<PostgresConnection, any Error>?) = delivery.withLock { state in
            switch state {
            case .pending:
                state = .abandoned
                return (true, nil)
            case .waiting(let continuation):
                state = .abandoned
                return (true, continuation)
            case .ready where evenIfReady:
                state = .abandoned
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
    func offer(_ connection: PostgresConnection) -> Bool {
        let (accepted, waiter): (Bool, CheckedContinuation<PostgresConnection, any Error>?) = delivery.withLock { state in
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

    /// From the pool's task: the pool could not lease a connection.
    func fail(_ error: any Error) {
        let waiter: CheckedContinuation<PostgresConnection, any Error>? = delivery.withLock { state in
            switch state {
            case .pending:
                state = .failed(error)
                return nil
            case .waiting(let continuation):
                state = .failed(error)
                return continuation
            case .ready, .taken, .abandoned, .failed:
                return nil
            }
        }
        waiter?.resume(throwing: error)
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
    let waited: Duration

    var description: String {
        "no connection to PostgreSQL within \(waited.formatted(.units(allowed: [.seconds, .milliseconds]))): the server is down, unreachable, or every connection is busy"
    }
}

/// A flag set and read from different tasks: whether the server was unreachable.
private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    func clear() { value.withLock { $0 = false } }
    var isSet: Bool { value.withLock { $0 } }
}
