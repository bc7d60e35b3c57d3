import Foundation
import MetricsCore
import TestSupport
import Testing

@testable import MetricsStore

@Suite struct SQLiteMetricStoreTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let t0 = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func key(_ ticker: Ticker, _ type: MetricType) -> MetricKey { MetricKey(ticker: ticker, type: type) }

    @Test func savingACycleCreatesEachMetricOnceAndOneSamplePerMetric() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let cycle: [MetricKey: Double] = [
                key(btc, .price): 90_000, key(btc, .volume): 3_000, key(eth, .price): 3_000, key(eth, .volume): 40_000,
            ]
            #expect(try await store.record(cycle, at: t0, origin: .polled(from: "test")) == 4)
            #expect(try await store.record(cycle, at: t0.adding(seconds: 60), origin: .polled(from: "test")) == 4)

            let metrics = try await store.metrics()
            #expect(metrics.count == 4)
            #expect(Set(metrics.map(\.key)) == Set(cycle.keys))
            #expect(metrics.map(\.id) == metrics.map(\.id).sorted())
            let range = TimeRange(from: t0, through: t0.adding(seconds: 60))
            for metric in metrics {
                let window = try #require(try await store.samples(of: metric.id, in: range))
                #expect(window.samples.map(\.timestamp) == [t0, t0.adding(seconds: 60)])
                #expect(window.samples.allSatisfy { $0.value == cycle[metric.key] })
            }
        }
    }

    @Test func keepsTheFirstValueForAMetricAtOneInstant() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            #expect(try await store.record([key(btc, .price): 1], at: t0, origin: .polled(from: "test")) == 1)
            #expect(try await store.record([key(btc, .price): 2], at: t0, origin: .polled(from: "test")) == 0)
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(last: 60, endingAt: t0)))
            #expect(window.samples.map(\.value) == [1])
        }
    }

    @Test func aWindowHoldsOnlyItsRangeInTimeOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let now = t0
            let offsets: [Double] = [-86_401, -86_400, -3_600, -60, 0, 1]  // one too old, one in the future
            for offset in offsets.shuffled() {
                try await store.record([key(btc, .price): 100 + offset], at: now.adding(seconds: offset), origin: .polled(from: "test"))
            }
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(last: 86_400, endingAt: now)))
            #expect(window.samples.map(\.timestamp) == [-86_400, -3_600, -60, 0].map { now.adding(seconds: $0) })
            #expect(try await store.samples(of: id + 100, in: TimeRange(last: 86_400, endingAt: now)) == nil)
        }
    }

    @Test func theChangeFeedHandsEachWriteToItsReaderOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let old = t0.adding(seconds: -8 * 86_400)
            try await store.record([key(btc, .price): 1], at: old, origin: .polled(from: "test"))
            try await store.record([key(btc, .price): 2, key(eth, .price): 3], at: t0, origin: .polled(from: "test"))

            // The first read loads everything from the oldest time asked for.
            let first = try await store.changes(after: nil, from: t0.adding(seconds: -86_400))
            #expect(first.isFullLoad)
            #expect(first.metrics.map(\.key) == [key(btc, .price), key(eth, .price)])
            #expect(first.samples.map(\.values) == [[2], [3]], "the sample older than asked for is left out")

            // Nothing new: nothing to read.
            let idle = try await store.changes(after: first.cursor, from: old)
            #expect(!idle.isFullLoad && idle.samples.isEmpty && idle.metrics.isEmpty)
            #expect(try await store.record([key(btc, .price): 9], at: t0, origin: .polled(from: "test")) == 0)
            #expect(try await store.changes(after: first.cursor, from: old).samples.isEmpty, "a write that added nothing is no change")

            // A cycle with a new metric: the metric and the cycle's samples only.
            try await store.record([key(btc, .price): 4, key(btc, .volume): 5], at: t0.adding(seconds: 60), origin: .polled(from: "test"))
            let next = try await store.changes(after: first.cursor, from: old)
            #expect(!next.isFullLoad)
            #expect(next.metrics.map(\.key) == [key(btc, .volume)])
            #expect(
                next.samples.map(\.timestamps) == [
                    [t0.adding(seconds: 60).microsecondsSince1970], [t0.adding(seconds: 60).microsecondsSince1970],
                ])
            #expect(next.samples.map(\.values) == [[4], [5]])

            // An import is one batch covering its rows' range, which may be in the past.
            let summary = try await store.importSamples { insert in
                try insert(SampleRow(key: key(eth, .price), timestamp: t0.adding(seconds: -120), value: 7))
                try insert(SampleRow(key: key(eth, .price), timestamp: t0.adding(seconds: -60), value: 8))
            }
            #expect(summary.inserted == 2)
            let imported = try await store.changes(after: next.cursor, from: old)
            let ethSeries = try #require(imported.samples.first { $0.metricID == first.metrics[1].id })
            #expect(ethSeries.values == [7, 8], "the batch covers its own range only")
        }
    }

    @Test func aReaderBehindThePrunedFeedStartsOver() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            try await store.record([key(btc, .price): 1], at: t0, origin: .polled(from: "test"))
            let start = try await store.changes(after: nil, from: t0)
            // More writes than the feed keeps, as one import per batch to keep the test quick.
            let batches = Int(SampleBatchRecord.retainedBatches) + 200
            _ = try await store.importSamples { insert in
                try insert(SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: 1), value: 1))
            }
            try await store.insertEmptyBatches(batches)
            let changes = try await store.changes(after: start.cursor, from: t0)
            #expect(changes.isFullLoad)
            #expect(changes.samples.first?.timestamps.count == 2)
        }
    }

    @Test func aRangeReadStopsAtItsLimit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            for minute in 0..<5 {
                try await store.record(
                    [key(btc, .price): Double(minute)], at: t0.adding(seconds: Double(minute) * 60), origin: .polled(from: "test"))
            }
            let range = TimeRange(from: t0, through: t0.adding(seconds: 240))
            let all = try #require(try await store.samples(of: 1, in: range, limit: 5))
            #expect(!all.isTruncated && all.series.values == [0, 1, 2, 3, 4])
            let capped = try #require(try await store.samples(of: 1, in: range, limit: 3))
            #expect(capped.isTruncated && capped.series.values == [0, 1, 2])
            #expect(try await store.samples(of: 2, in: range, limit: 3) == nil)
        }
    }

    @Test func createsMetricsInTheOrderAsked() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let zonda = try Ticker(parsing: "ZONDA:LTCUSD")
            let keys = [key(btc, .price), key(btc, .volume), key(eth, .price), key(eth, .volume), key(zonda, .price), key(zonda, .volume)]
            let metrics = try await store.metrics(for: keys)
            #expect(keys.map { metrics[$0]?.id } == [1, 2, 3, 4, 5, 6])
            #expect(try await store.metrics().map(\.key) == keys)
        }
    }

    @Test func importIsAllOrNothing() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            struct Stop: Error {}
            await #expect(throws: Stop.self) {
                _ = try await store.importSamples { insert in
                    try insert(SampleRow(key: key(btc, .price), timestamp: t0, value: 1))
                    try insert(SampleRow(key: key(eth, .price), timestamp: t0, value: 2))
                    throw Stop()
                }
            }
            #expect(try await store.metrics().isEmpty)

            let summary = try await store.importSamples { insert in
                for minute in 0..<10 {
                    try insert(SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: Double(minute) * 60), value: Double(minute)))
                }
                try insert(SampleRow(key: key(btc, .price), timestamp: t0, value: 99))
            }
            #expect(summary == ImportSummary(inserted: 10, duplicates: 1, metricsCreated: 1))
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(from: t0, through: t0.adding(seconds: 600))))
            #expect(window.samples.first?.value == 0)
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
