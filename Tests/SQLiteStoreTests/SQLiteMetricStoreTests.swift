import Foundation
import MetricsCore
import MetricsStore
import TestSupport
import Testing

@testable import SQLiteStore

/// What only the SQLite store promises: a file that several processes share, synced on every
/// commit, whose feed a reader can fall behind. The rest is in the conformance suite.
@Suite struct SQLiteMetricStoreTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let t0 = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func key(_ ticker: Ticker, _ type: MetricType) -> MetricKey { MetricKey(ticker: ticker, type: type) }

    @Test func aReaderBehindThePrunedFeedStartsOver() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            try await store.record([key(btc, .price): 1], at: t0, origin: .polled(from: "test"))
            let start = try await store.changes(after: nil, from: t0)
            // More writes than the feed keeps, as one import per batch to keep the test quick.
            let batches = Int(SampleBatchRecord.retainedBatches) + 200
            _ = try await store.importSamples([SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: 1), value: 1)])
            try await store.insertEmptyBatches(batches)
            let changes = try await store.changes(after: start.cursor, from: t0)
            #expect(changes.isFullLoad)
            #expect(changes.samples.first?.timestamps.count == 2)
        }
    }

    @Test func aSecondConnectionSeesWhatTheFirstStored() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let writer = try SQLiteMetricStore(path: path)
            let reader = try SQLiteMetricStore(path: path)
            try await writer.record([key(btc, .price): 5], at: t0, origin: .polled(from: "test"))
            #expect(try await reader.metrics().map(\.key) == [key(btc, .price)])
            #expect(try await reader.latestTimestamps(of: [key(btc, .price), key(eth, .price)]) == [key(btc, .price): t0])
            try await reader.checkReadable()
        }
    }

    @Test func syncsEveryCommitToDisk() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            #expect(try store.writerSynchronousLevel() == 2, "synchronous = FULL survives power loss; NORMAL in WAL mode does not")
        }
    }

    @Test func aNewFileAndItsJournalAreTheOwnersAlone() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let store = try SQLiteMetricStore(path: path)
            try await store.record([key(btc, .price): 5], at: t0, origin: .polled(from: "test"))
            for file in [path, path + "-wal", path + "-shm"] {
                let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(permissions == 0o600, "\(file): \(String(permissions ?? 0, radix: 8))")
            }
        }
    }

    @Test func twoStoresCanOpenANewFileAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { _ = try SQLiteMetricStore(path: path) }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func refusesAFileThatIsNotADatabase() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("notes.txt").path
            try Data("these are not the samples you are looking for\n".utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: StoreError.self) { try SQLiteMetricStore(path: path) }
            #expect(error?.description.contains(path) == true)
        }
    }
}
