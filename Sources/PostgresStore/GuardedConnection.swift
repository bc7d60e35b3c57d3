import Logging
import NIOCore
import PostgresNIO

/// A PostgreSQL connection that never sends a statement once it has closed.
///
/// PostgresNIO (1.33) hands a statement to its channel without waiting on the write: once the
/// channel has closed and let go of its handlers, the statement is dropped and its caller waits
/// for ever. Nothing rare brings that about: when the server goes away between two statements of
/// one operation, the next one (the second statement of a transaction, the `ROLLBACK` after the
/// failed one) is sent to a closed channel, and the task that sent it never returns, nor stops
/// when cancelled. A poller stuck so polls no more and keeps its process from stopping.
///
/// So each statement is sent from the connection's own event loop, after looking there whether the
/// channel is still open. On the loop the look and the send cannot be separated by the close: a
/// channel closing afterwards still has its handlers, which fail the statement.
struct GuardedConnection: Sendable {
    /// The connection itself: for what is not a statement (closing it, its event loop).
    let connection: PostgresConnection
    private let loop: EventLoopTaskExecutor

    init(_ connection: PostgresConnection) {
        self.connection = connection
        loop = EventLoopTaskExecutor(connection.eventLoop)
    }

    /// Runs `query`; fails at once when the connection has closed.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws
        -> PostgresRowSequence
    {
        try await withTaskExecutorPreference(loop) {
            try requireOpen()
            return try await connection.query(query, logger: logger, file: file, line: line)
        }
    }

    /// `COPY table (columns) FROM STDIN`, with the data `writeData` writes; fails at once when the
    /// connection has closed.
    func copyFrom(
        table: String, columns: [String], logger: Logger, writeData: (PostgresCopyFromWriter) async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(loop) {
            try requireOpen()
            try await connection.copyFrom(table: table, columns: columns, logger: logger, writeData: writeData)
        }
    }

    /// Runs `body` in a transaction opened with `begin`: committed when it returns, rolled back
    /// when it throws, and its error passed on as it is.
    func inTransaction<Result>(
        _ begin: PostgresQuery = "BEGIN", logger: Logger, _ body: (GuardedConnection) async throws -> Result
    ) async throws -> Result {
        try await query(begin, logger: logger)
        let result: Result
        do {
            result = try await body(self)
        } catch {
            // On a closed connection this fails at once, and the transaction ended with it.
            _ = try? await query("ROLLBACK", logger: logger)
            throw error
        }
        try await query("COMMIT", logger: logger)
        return result
    }

    private func requireOpen() throws {
        // The whole point: the look and the send happen on the loop (see the type's comment).
        connection.eventLoop.assertInEventLoop()
        guard !connection.isClosed else { throw PostgresConnectionClosed() }
    }
}

/// A statement not sent: its connection had closed.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String {
        "the connection to PostgreSQL had closed (the server went away, or the operation ran past its deadline)"
    }
}

/// Runs a task's jobs on one NIO event loop: there, a channel's state cannot change between two
/// lines of code.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
