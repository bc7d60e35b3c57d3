import PostgresNIO
import Synchronization

/// PostgresNIO's pool, with a bound on how long an operation waits for a connection.
///
/// While the server is away, the pool queues every request until its own circuit breaker trips,
/// a minute after the first failed connection: a poller waiting that long stops polling, and a
/// readiness probe hangs. Past ``connectionWait`` an operation fails instead, saying the database
/// cannot be reached, and its caller does what it does whenever the database refuses: the poller
/// keeps the cycle in memory, `/readyz` answers 503. An operation that has its connection runs
/// for as long as it needs (an import's transaction may take minutes).
struct PostgresPool: Sendable {
    let client: PostgresClient
    let connectionWait: Duration
    /// Whether the last wait for a connection ran out: then the next ones wait only briefly, so
    /// that a poller's lease renewal and write, one after the other, still fit in its interval.
    private let unreachable = Flag()

    init(client: PostgresClient, connectionWait: Duration) {
        self.client = client
        self.connectionWait = connectionWait
    }

    /// How long the next operation waits for a connection.
    private var wait: Duration {
        unreachable.isSet ? min(connectionWait, .milliseconds(100)) : connectionWait
    }

    func run() async {
        await client.run()
    }

    func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let leased = Flag()
        // The operation runs in a child task so that the timer can cancel its wait; the group
        // awaits it before returning, so neither `body` nor its result outlives this call.
        return try await withoutActuallyEscaping(body) { body in
            let operation = Borrowed(body)
            return try await withThrowingTaskGroup(of: Borrowed<Result>?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        leased.set()
                        unreachable.clear()
                        return Borrowed(try await operation.value(connection))
                    }
                }
                group.addTask { [wait, unreachable] in
                    try await Task.sleep(for: wait)
                    guard leased.isSet else {
                        unreachable.set()
                        throw PostgresUnreachable(waited: wait)
                    }
                    return nil
                }
                while let finished = try await group.next() {
                    if let result = finished {
                        group.cancelAll()
                        return result.value
                    }
                }
                throw CancellationError()
            }
        }
    }
}

/// A value handed to a child task and back within one call that awaits the task: never shared
/// while in use, so sending it is safe though its type is not `Sendable`.
private struct Borrowed<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// No connection to PostgreSQL within the wait: the server is down, unreachable, or every
/// connection is busy.
struct PostgresUnreachable: Error, CustomStringConvertible {
    let waited: Duration

    var description: String {
        "no connection to PostgreSQL within \(waited.formatted(.units(allowed: [.seconds, .milliseconds]))): the server is down, unreachable, or every connection is busy"
    }
}

/// A flag set and read from different tasks: whether an operation has its connection, whether
/// the server was unreachable.
private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    func clear() { value.withLock { $0 = false } }
    var isSet: Bool { value.withLock { $0 } }
}
