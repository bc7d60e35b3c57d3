import Foundation
import GRDB
import Logging
import MetricsCore
import MetricsStore
import PostgresStore
import SQLiteStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessSuites {
    /// `kill -9` at random moments, as the OOM killer or an operator's mistake would: every cycle a
    /// poller logged as stored is still stored with all its samples, no cycle is half stored, and the
    /// next start is clean; an import killed mid-file leaves nothing of the file or all of it. On
    /// SQLite and on PostgreSQL.
    @Suite struct CrashTests {
        static let rounds = 20

        @Test func aPollerKilledAtRandomMomentsOnSQLiteLosesNothingItLogged() async throws {
            try await withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("crash.sqlite").path
                let logged = try await killPollerAtRandom(database: path, in: directory)
                try await check(try SQLiteMetricStore(path: path), logged: logged)
                // No polled instant holds part of a cycle: the simulated source answers for every
                // metric, so each holds all 20, whether its log line was written or cut off by the
                // kill. Backfilled samples are left out: a kill mid-backfill rightly leaves some
                // tickers' candles and not others'.
                let (polled, partial) = try await DatabaseQueue(path: path).read { database in
                    let polled = try Int.fetchOne(
                        database,
                        sql: """
                            SELECT count(DISTINCT sample.timestamp_us) FROM sample
                            JOIN sample_origin ON sample_origin.id = sample.origin_id WHERE sample_origin.kind = 'poll'
                            """)
                    let partial = try Row.fetchAll(
                        database,
                        sql: """
                            SELECT sample.timestamp_us AS instant, count(*) AS metrics FROM sample
                            JOIN sample_origin ON sample_origin.id = sample.origin_id
                            WHERE sample_origin.kind = 'poll' GROUP BY sample.timestamp_us HAVING count(*) != 20
                            """)
                    return (polled ?? 0, partial)
                }
                #expect(polled >= Self.rounds, "at least one polled cycle a round")
                for row in partial {
                    let instant: Int64 = row["instant"]
                    let metrics: Int = row["metrics"]
                    Issue.record("the cycle of \(Timestamp(microsecondsSince1970: instant)) holds \(metrics) of 20 metrics")
                }
            }
        }

        @Test(.enabled(if: TestPostgres.isAvailable || TestPostgres.isCI, Comment(rawValue: TestPostgres.skipReason)))
        func aPollerKilledAtRandomMomentsOnPostgreSQLLosesNothingItLogged() async throws {
            try await TestPostgres.withSchema { location in
                try await withTemporaryDirectory { directory in
                    let logged = try await killPollerAtRandom(database: TestPostgres.url(of: location), in: directory)
                    try await PostgresMetricStore.withStore(at: location, maximumConnections: 2, logger: Self.quiet) { store in
                        // A killed poller's tickers pass to the next one when its leases run out, so a
                        // cycle may rightly hold only some tickers: each holds what it said, exactly.
                        try await check(store, logged: logged)
                    }
                }
            }
        }

        @Test func anImportKilledMidFileOnSQLiteStoresAllOrNothing() async throws {
            try await withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("import.sqlite").path
                try await killImportAtRandom(database: path, in: directory) {
                    try await Self.importedCount(in: try SQLiteMetricStore(path: path))
                }
            }
        }

        @Test(.enabled(if: TestPostgres.isAvailable || TestPostgres.isCI, Comment(rawValue: TestPostgres.skipReason)))
        func anImportKilledMidFileOnPostgreSQLStoresAllOrNothing() async throws {
            try await TestPostgres.withSchema { location in
                try await withTemporaryDirectory { directory in
                    try await killImportAtRandom(database: TestPostgres.url(of: location), in: directory) {
                        try await PostgresMetricStore.withStore(at: location, maximumConnections: 2, logger: Self.quiet) { store in
                            try await Self.importedCount(in: store)
                        }
                    }
                }
            }
        }

        // MARK: The poller

        /// Starts `poll` ``rounds`` times on `database`, each killed with -9 at a random moment after
        /// it stored its first cycle (during a write as often as between them); returns the samples
        /// each cycle was logged to have stored.
        private func killPollerAtRandom(database: String, in directory: URL) async throws -> [Timestamp: Int] {
            var logged: [Timestamp: Int] = [:]
            for round in 1...Self.rounds {
                let poller = try RunningProcess(
                    ["poll", "--source", "simulated", "--poll-interval", "1", "--database", database], in: directory)
                // Starting again cleanly means storing a cycle.
                let started = try await eventually(within: .seconds(60)) {
                    Self.storedCycles(in: poller.log).values.contains { $0 > 0 } ? true : nil
                }
                #expect(started == true, "round \(round): the poller starts again and stores a cycle: \(poller.log.suffix(3_000))")
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1_500)))
                poller.signal(SIGKILL)
                #expect(try await poller.exitStatus(within: .seconds(30)) != nil)
                #expect(!poller.log.contains("cannot open"), "round \(round): \(poller.log.suffix(3_000))")
                logged.merge(Self.storedCycles(in: poller.log)) { $1 }
            }
            return logged
        }

        /// The samples each cycle was logged to have stored.
        private static func storedCycles(in log: String) -> [Timestamp: Int] {
            Dictionary(LoggedCycle.all(in: log).map { ($0.timestamp, $0.stored) }) { $1 }
        }

        /// Every logged cycle holds exactly the samples it was logged with.
        private func check(_ store: any MetricStore, logged: [Timestamp: Int]) async throws {
            let metrics = try await store.metrics()
            #expect(metrics.count == 20, "the default configuration's 20 metrics")
            var stored: [Int64: Int] = [:]
            let everything = TimeRange(from: Timestamp(secondsSince1970: 0), through: .now.adding(seconds: 3_600))
            for metric in metrics {
                let samples = try await store.samples(of: metric.id, in: everything, limit: 1_000_000)
                for timestamp in samples?.series.timestamps ?? [] { stored[timestamp, default: 0] += 1 }
            }
            let loggedWithSamples = logged.filter { $0.value > 0 }
            #expect(loggedWithSamples.count >= Self.rounds, "at least one stored cycle a round")
            for (timestamp, count) in loggedWithSamples {
                #expect(stored[timestamp.microsecondsSince1970] == count, "cycle \(timestamp) was logged with \(count) samples")
            }
        }

        // MARK: Imports

        static let importedTicker = "KRAKEN:CRASHUSD"
        static let importedRows = 300_000

        /// Imports a large file three times, killing the first two at a random moment; after each,
        /// `count` (the samples of the file's metric) is none or all of the file. The third runs to
        /// its end and stores all.
        private func killImportAtRandom(database: String, in directory: URL, count: () async throws -> Int) async throws {
            let file = directory.appendingPathComponent("history.csv")
            var text = "ticker,metric_type,timestamp,value\n"
            let start = Timestamp.now.adding(seconds: -Double(Self.importedRows) - 3_600)
            for row in 0..<Self.importedRows {
                text += "\(Self.importedTicker),price,\(start.adding(seconds: Double(row)).rfc3339),\(1_000 + row % 997)\n"
            }
            try Data(text.utf8).write(to: file)
            for round in 1...3 {
                let importer = try RunningProcess(["import", "--csv", file.path, "--database", database], in: directory)
                if round < 3 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 50..<1_500)))
                    importer.signal(SIGKILL)
                }
                let status = try await importer.exitStatus(within: .seconds(300))
                #expect(status != nil, "round \(round): \(importer.log)")
                let imported = try await count()
                #expect(imported == 0 || imported == Self.importedRows, "round \(round): \(imported) of \(Self.importedRows) rows stored")
                if round == 3 {
                    #expect(status == 0, "\(importer.log)")
                    #expect(imported == Self.importedRows)
                }
            }
        }

        private static func importedCount(in store: any MetricStore) async throws -> Int {
            guard let metric = try await store.metrics().first(where: { $0.ticker.description == importedTicker }) else { return 0 }
            let everything = TimeRange(from: Timestamp(secondsSince1970: 0), through: .now)
            return try await store.samples(of: metric.id, in: everything, limit: 1_000_000)?.series.timestamps.count ?? 0
        }

        static var quiet: Logger {
            var logger = Logger(label: "crash-test")
            logger.logLevel = .critical
            return logger
        }
    }
}
