import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import PostgresStore

/// A statement sent on a connection that has closed, or is closing, ends: it succeeds or fails, and
/// never holds its caller (PostgresNIO alone drops a statement sent to a closed channel, and its
/// caller waits for ever: the poller's stall when PostgreSQL went away mid-operation).
///
/// Each statement runs in a task of its own, watched with a deadline: one that hangs cannot be
/// cancelled, and a task group would wait for it, so the test would hang instead of failing. The
/// deadline (60 s) is far beyond any statement's time on a loaded machine: only a hang reaches it.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)), .timeLimit(.minutes(3)))
struct GuardedConnectionTests {
    private let logger = Logger(label: "test")

    @Test func aStatementOnAClosedConnectionFailsAtOnce() async throws {
        let location = try #require(TestPostgres.server).location
        let connection = try await location.connect(logger: logger)
        try await connection.close()
        let outcome = try await Self.outcome(within: .seconds(60)) {
            try await GuardedConnection(connection).query("SELECT 1", logger: logger)
        }
        #expect(outcome == .failed("\(PostgresConnectionClosed())"))
    }

    @Test func aStatementRacingTheCloseEnds() async throws {
        let location = try #require(TestPostgres.server).location
        var outcomes: [Outcome: Int] = [:]
        // The close lands before, during and after the statement's way to the channel: the
        // rounds spread it by a growing delay.
        for round in 0..<60 {
            let connection = try await location.connect(logger: logger)
            let guarded = GuardedConnection(connection)
            let _: EventLoopFuture<Void> = connection.close()
            for _ in 0..<(round * 20) { _ = connection.isClosed }
            let outcome = try await Self.outcome(within: .seconds(60)) {
                try await guarded.query("SELECT 1", logger: logger)
            }
            #expect(outcome != .hung, "round \(round): the statement never ended")
            if outcome == .hung { return }
            outcomes[outcome, default: 0] += 1
            try? await connection.close()
        }
        #expect(outcomes.values.reduce(0, +) == 60)
    }

    @Test func aTransactionWhoseConnectionClosesUnderItFails() async throws {
        let location = try #require(TestPostgres.server).location
        let connection = try await location.connect(logger: logger)
        let outcome = try await Self.outcome(within: .seconds(60)) {
            try await GuardedConnection(connection).inTransaction(logger: logger) { transaction in
                try await transaction.query("SELECT 1", logger: logger)
                try await connection.close()
                // The next statement and the ROLLBACK both meet a closed connection.
                try await transaction.query("SELECT 2", logger: logger)
            }
        }
        #expect(outcome == .failed("\(PostgresConnectionClosed())"))
    }

    @Test func anOpenConnectionAnswers() async throws {
        let location = try #require(TestPostgres.server).location
        let value = try await TestPostgres.withConnection(to: location) { connection in
            try await GuardedConnection(connection).inTransaction(logger: logger) { transaction in
                try await transaction.query("SELECT 41 + 1", logger: logger).single(Int.self)
            }
        }
        #expect(value == 42)
    }

    private enum Outcome: Hashable {
        case succeeded
        case failed(String)
        case hung
    }

    /// How `statement` ends, or `.hung` when it has not within `deadline`.
    private static func outcome(
        within deadline: Duration, _ statement: @escaping @Sendable () async throws -> some Any
    ) async throws -> Outcome {
        let ended = Mutex<Outcome?>(nil)
        // Unstructured on purpose: see the suite's comment.
        let task = Task {
            do {
                _ = try await statement()
                ended.withLock { $0 = .succeeded }
            } catch {
                ended.withLock { $0 = .failed("\(error)") }
            }
        }
        let outcome = try await eventually(within: deadline, every: .milliseconds(10)) { ended.withLock { $0 } }
        if outcome == nil { task.cancel() }
        return outcome ?? .hung
    }
}
