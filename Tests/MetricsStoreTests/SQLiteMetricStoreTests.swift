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
            #expect(try await store.record(cycle, at: t0) == 4)
            #expect(try await store.record(cycle, at: t0.adding(seconds: 60)) == 4)

            let metrics = try await store.metrics()
            #expect(metrics.count == 4)
            #expect(Set(metrics.map(\.key)) == Set(cycle.keys))
            #expect(metrics.map(\.id) == metrics.map(\.id).sorted())
            let range = TimeRange(from: t0, through: t0.adding(seconds: 60))
            for metric in metrics {
                let window = try #require(try await store.window(of: metric.id, in: range))
                #expect(window.samples.map(\.timestamp) == [t0, t0.adding(seconds: 60)])
                #expect(window.samples.allSatisfy { $0.value == cycle[metric.key] })
            }
        }
    }

    @Test func keepsTheFirstValueForAMetricAtOneInstant() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            #expect(try await store.record([key(btc, .price): 1], at: t0) == 1)
            #expect(try await store.record([key(btc, .price): 2], at: t0) == 0)
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.window(of: id, in: TimeRange(last: 60, endingAt: t0)))
            #expect(window.samples.map(\.value) == [1])
        }
    }

    @Test func aWindowHoldsOnlyItsRangeInTimeOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let now = t0
            let offsets: [Double] = [-86_401, -86_400, -3_600, -60, 0, 1]  // one too old, one in the future
            for offset in offsets.shuffled() {
                try await store.record([key(btc, .price): 100 + offset], at: now.adding(seconds: offset))
            }
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.window(of: id, in: TimeRange(last: 86_400, endingAt: now)))
            #expect(window.samples.map(\.timestamp) == [-86_400, -3_600, -60, 0].map { now.adding(seconds: $0) })
            #expect(try await store.window(of: id + 100, in: TimeRange(last: 86_400, endingAt: now)) == nil)
        }
    }

    @Test func peerDeviationsRankTheOriginalsExample() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let steady: [Double] = [1, 2, 3, 4]
            let wild: [Double] = [99, 106, 300, 5]
            for index in 0..<4 {
                try await store.record(
                    [key(btc, .price): steady[index], key(eth, .price): wild[index], key(btc, .volume): 7],
                    at: t0.adding(seconds: Double(index) * 60)
                )
            }
            let btcPrice = try #require(try await store.metrics().first { $0.key == key(btc, .price) })
            let window = try #require(
                try await store.window(of: btcPrice.id, in: TimeRange(last: 86_400, endingAt: t0.adding(seconds: 180))))
            #expect(window.peerDeviations.count == 2, "volume metrics are not peers of a price")
            let report = MetricReport(window)
            #expect(report.rank?.description == "1/2")
            #expect(report.standardDeviation == RunningStatistics(steady).sampleStandardDeviation)
            #expect(window.peerDeviations[btcPrice.id] == report.standardDeviation)
        }
    }

    @Test func peersAreRankedOnTheSameWindowOnly() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let end = t0.adding(seconds: 86_400)
            // ETH is wild only before the window: inside it, it is steadier than BTC.
            try await store.record([key(eth, .price): 1], at: t0.adding(seconds: -60))
            try await store.record([key(eth, .price): 1_000_000], at: t0.adding(seconds: -1))
            for (index, (btcValue, ethValue)) in [(10.0, 5.0), (20.0, 5.5), (30.0, 6.0)].enumerated() {
                try await store.record(
                    [key(btc, .price): btcValue, key(eth, .price): ethValue], at: t0.adding(seconds: Double(index) * 60))
            }
            let ethPrice = try #require(try await store.metrics().first { $0.key == key(eth, .price) })
            let window = try #require(try await store.window(of: ethPrice.id, in: TimeRange(last: 86_400, endingAt: end)))
            #expect(window.samples.map(\.value) == [5, 5.5, 6])
            #expect(MetricReport(window).rank?.description == "1/2")
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
            let window = try #require(try await store.window(of: id, in: TimeRange(from: t0, through: t0.adding(seconds: 600))))
            #expect(window.samples.first?.value == 0)
        }
    }

    @Test func aSecondConnectionSeesWhatTheFirstStored() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let writer = try SQLiteMetricStore(path: path)
            let reader = try SQLiteMetricStore(path: path)
            try await writer.record([key(btc, .price): 5], at: t0)
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
