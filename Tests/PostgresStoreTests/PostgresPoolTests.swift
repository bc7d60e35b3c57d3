import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import PostgresStore

/// The pool's bounds on waiting: a wait that runs out fails saying how long it waited; only a
/// server that gives no connection at all (not a busy pool) shortens the next waits; past its
/// bound of queued operations, an operation fails at once; a stopped pool refuses at once.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)), .timeLimit(.minutes(2)))
struct PostgresPoolTests {
    private let logger = Logger(label: "test")

    @Test func aBusyPoolIsNotTakenForAnOutage() async throws {
        try await withPool(maximumConnections: 1, connectionWait: .milliseconds(300)) { pool in
            // The holder waits as long as a loaded machine needs; the others the pool's 300 ms.
            try await pool.withConnection(wait: .seconds(60)) { _ in
                // The one connection is lent: the next two waits run out, each the full wait.
                for _ in 0..<2 {
                    await #expect(throws: PostgresUnreachable(waited: .milliseconds(300))) {
                        try await pool.withConnection { _ in }
                    }
                }
            }
            let answer = try await pool.withConnection(wait: .seconds(60)) {
                try await $0.query("SELECT 1", logger: logger).single(Int.self)
            }
            #expect(answer == 1)
        }
    }

    @Test func aServerThatGivesNoConnectionShortensTheNextWaits() async throws {
        let server = try #require(TestPostgres.server).location
        try await TCPProxy.withRunning(to: server.port) { proxy in
            // A relay that closes every connection at once: the pool can make none.
            proxy.cut()
            var location = server
            location.host = "127.0.0.1"
            location.port = proxy.port
            try await withPool(at: location, maximumConnections: 2, connectionWait: .milliseconds(300)) { pool in
                await #expect(throws: PostgresUnreachable(waited: .milliseconds(300))) { try await pool.withConnection { _ in } }
                await #expect(throws: PostgresUnreachable(waited: .milliseconds(100))) { try await pool.withConnection { _ in } }
            }
        }
    }

    @Test func pastItsBoundAnOperationFailsWithoutWaiting() async throws {
        // The bound counts the operations with the pool, waiting or holding a connection.
        try await withPool(maximumConnections: 1, connectionWait: .seconds(30), maximumQueued: 1) { pool in
            try await pool.withConnection { _ in
                // The holder fills the bound: the next fails at once, not in 30 s.
                await #expect(throws: PostgresUnreachable(waited: .zero)) { try await pool.withConnection { _ in } }
            }
            // Given back, and counted off once the pool's task has it again: room again.
            let answer = try await eventually(within: .seconds(60)) {
                try? await pool.withConnection { try await $0.query("SELECT 1", logger: logger).single(Int.self) }
            }
            #expect(answer == 1)
        }
    }

    @Test func aStoppedPoolRefusesAtOnce() async throws {
        let location = try #require(TestPostgres.server).location
        let pool = PostgresPool(
            client: PostgresClient(configuration: try PostgresConnections(location).pool, backgroundLogger: logger),
            connectionWait: .seconds(600))
        await withDiscardingTaskGroup { group in
            group.addTask { await pool.run() }
            group.cancelAll()
        }
        await #expect(throws: PostgresPoolClosed.self) { try await pool.withConnection { _ in } }
    }

    private func withPool(
        at location: PostgresLocation? = nil, maximumConnections: Int, connectionWait: Duration, maximumQueued: Int = 4_096,
        _ body: (PostgresPool) async throws -> Void
    ) async throws {
        let location = try location ?? #require(TestPostgres.server).location
        var configuration = try PostgresConnections(location).pool
        configuration.options.maximumConnections = maximumConnections
        let pool = PostgresPool(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), connectionWait: connectionWait,
            maximumQueued: maximumQueued)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            defer { group.cancelAll() }
            try await body(pool)
        }
    }
}

extension PostgresUnreachable: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.waited == rhs.waited }
}
