import Logging
import MetricsCore
import MetricsStore
import PostgresNIO
import TestSupport
import Testing

@testable import PostgresStore

/// What only the PostgreSQL store promises about its database: migrations that several processes
/// may run at once, a refusal of a newer schema, and a clear reason when it cannot connect.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresSchemaTests {
    private let logger = Logger(label: "test")

    @Test func storesStartingAtOnceMigrateTheSchemaOnce() async throws {
        try await TestPostgres.withSchema { location in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await PostgresMetricStore.withStore(at: location, maximumConnections: 1, logger: logger) { store in
                            try await store.checkReadable()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let versions = try await TestPostgres.withConnection(to: location) { connection in
                var versions: [Int] = []
                for try await version in try await connection.query("SELECT version FROM schema_migration ORDER BY version", logger: logger)
                    .decode(Int.self)
                {
                    versions.append(version)
                }
                return versions
            }
            #expect(versions == PostgresSchema.migrations.map(\.version), "every migration, each once")
            #expect(versions == Array(1...PostgresSchema.latestVersion))
        }
    }

    /// Pollers starting together create the same metrics at the same moment; ids stay 1...n with
    /// no gap, as SQLite's do (a losing insert used to use up sequence values).
    @Test func storesCreatingTheSameMetricsAtOnceLeaveNoGapInTheIds() async throws {
        let keys = (1...100).flatMap { index in
            MetricType.allCases.map { MetricKey(ticker: try! Ticker(parsing: "ZONDA:M\(index)USD"), type: $0) }
        }
        try await TestPostgres.withSchema { location in
            let answers = try await withThrowingTaskGroup(of: [MetricKey: Metric].self) { group in
                for round in 0..<4 {
                    group.addTask {
                        try await PostgresMetricStore.withStore(at: location, maximumConnections: 2, logger: logger) { store in
                            // Each creator asks in its own order, in a few requests.
                            let order = round % 2 == 0 ? keys : keys.reversed()
                            var found: [MetricKey: Metric] = [:]
                            for chunk in stride(from: 0, to: order.count, by: 50) {
                                found.merge(try await store.metrics(for: Array(order[chunk..<min(chunk + 50, order.count)]))) { old, _ in
                                    old
                                }
                            }
                            return found
                        }
                    }
                }
                var answers: [[MetricKey: Metric]] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(Set(answers.map { $0.mapValues(\.id) }).count == 1, "every creator read the same ids")
            #expect(answers[0].values.map(\.id).sorted() == Array(1...200))
        }
    }

    @Test func refusesADatabaseWrittenByANewerVersion() async throws {
        try await TestPostgres.withSchema { location in
            try await PostgresMetricStore.withStore(at: location, logger: logger) { _ in }
            _ = try await TestPostgres.withConnection(to: location) { connection in
                try await connection.query("INSERT INTO schema_migration (version, name) VALUES (999, 'from the future')", logger: logger)
            }
            await #expect {
                try await PostgresMetricStore.withStore(at: location, logger: logger) { _ in }
            } throws: { error in
                "\(error)".contains("written by a newer cryptometrics (schema version 999")
            }
        }
    }

    @Test func aFailedLoginNamesTheHostAndTheServersReasonButNotThePassword() async throws {
        var location = try #require(try TestPostgres.server?.location)
        location.username = "nobody_here"
        location.password = "not-the-password"
        await #expect {
            try await PostgresMetricStore.withStore(at: location, logger: logger) { _ in }
        } throws: { error in
            let text = "\(error)"
            return text.contains("\(location.host):\(location.port)") && text.contains("nobody_here")
                && !text.contains("not-the-password")
        }
    }

    @Test func aRefusedConnectionSaysSo() async throws {
        var location = try #require(try TestPostgres.server?.location)
        // Port 1 on loopback: nothing listens there.
        location.port = 1
        await #expect {
            try await PostgresMetricStore.withStore(at: location, logger: logger) { _ in }
        } throws: { error in
            "\(error)".contains("cannot reach 127.0.0.1:1: connection refused")
                || "\(error)".contains("cannot reach \(location.host):1: connection refused")
        }
    }
}
