import Foundation
import GRDB
import MetricsCore
import MetricsStore
import SQLiteStore
import TestSupport
import Testing

/// Every stored sample says which upstream served it and how.
@Suite struct SampleOriginTests {
    let btc = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
    let eth = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:ETHUSD"), type: .price)
    let t0 = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    /// (timestamp, upstream, kind) of every sample of `key`, read straight from the file.
    private func origins(_ path: String, _ key: MetricKey) throws -> [(Int64, String?, String?)] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.timestamp_us, o.upstream, o.kind FROM sample s
                    JOIN metric m ON m.id = s.metric_id LEFT JOIN sample_origin o ON o.id = s.origin_id
                    WHERE m.ticker = ? AND m.metric_type = ? ORDER BY s.timestamp_us
                    """,
                arguments: [key.ticker.description, key.type.rawValue]
            ).map { ($0[0], $0[1], $0[2]) }
        }
    }

    @Test func aCycleRecordsTheUpstreamThatServedEachTicker() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let store = try SQLiteMetricStore(path: path)
            try await store.record(
                [btc: SampleValue(90_000, from: .polled(from: "kraken")), eth: SampleValue(3_000, from: .polled(from: "cryptowatch"))],
                at: t0)
            #expect(try origins(path, btc).map { [$0.1, $0.2] } == [["kraken", "poll"]])
            #expect(try origins(path, eth).map { [$0.1, $0.2] } == [["cryptowatch", "poll"]])
        }
    }

    @Test func backfilledAndImportedSamplesAreMarkedAndNeverOverwritePolledOnes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let store = try SQLiteMetricStore(path: path)
            try await store.record([btc: 100], at: t0, origin: .polled(from: "kraken"))
            let summary = try await store.importSamples([
                SampleRow(key: btc, timestamp: t0.adding(seconds: -60), value: 99, origin: .backfilled(from: "kraken")),
                SampleRow(key: btc, timestamp: t0, value: 55, origin: .backfilled(from: "kraken")),
                SampleRow(key: btc, timestamp: t0.adding(seconds: -120), value: 98),
            ])
            #expect(summary.inserted == 2)
            #expect(summary.duplicates == 1, "the polled sample stays")
            let rows = try origins(path, btc)
            #expect(rows.map { [$0.1, $0.2] } == [["import", "import"], ["kraken", "backfill"], ["kraken", "poll"]])
            let stored = try #require(try await store.samples(of: 1, in: TimeRange(last: 600, endingAt: t0)))
            #expect(stored.samples.map(\.value) == [98, 99, 100])
        }
    }

    @Test func samplesFromBeforeOriginsWereRecordedKeepNone() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            // A database as the previous release left it: migrated up to v2, with a sample.
            do {
                let queue = try DatabaseQueue(path: path)
                var migrator = DatabaseMigrator()
                for name in ["v1-metrics-and-samples", "v2-sample-batches"] {
                    migrator.registerMigration(name) { db in
                        if name.hasPrefix("v1") {
                            try db.execute(
                                sql: """
                                    CREATE TABLE metric (id INTEGER PRIMARY KEY AUTOINCREMENT, ticker TEXT NOT NULL,
                                        metric_type TEXT NOT NULL, UNIQUE (ticker, metric_type));
                                    CREATE TABLE sample (metric_id INTEGER NOT NULL REFERENCES metric(id), timestamp_us INTEGER NOT NULL,
                                        value REAL NOT NULL, PRIMARY KEY (metric_id, timestamp_us)) WITHOUT ROWID;
                                    INSERT INTO metric (ticker, metric_type) VALUES ('KRAKEN:BTCUSD', 'price');
                                    INSERT INTO sample VALUES (1, \(t0.microsecondsSince1970 - 60_000_000), 1.5);
                                    """)
                        } else {
                            try db.execute(
                                sql: """
                                    CREATE TABLE sample_batch (id INTEGER PRIMARY KEY AUTOINCREMENT, first_timestamp_us INTEGER NOT NULL,
                                        last_timestamp_us INTEGER NOT NULL, sample_count INTEGER NOT NULL);
                                    """)
                        }
                    }
                }
                try migrator.migrate(queue)
            }
            let store = try SQLiteMetricStore(path: path)
            try await store.record([btc: 2], at: t0, origin: .polled(from: "kraken"))
            let rows = try origins(path, btc)
            #expect(rows.map { $0.1 } == [nil, "kraken"])
            let stored = try #require(try await store.samples(of: 1, in: TimeRange(last: 600, endingAt: t0)))
            #expect(stored.samples.map(\.value) == [1.5, 2])
        }
    }
}
