import MetricsCore
import MetricsStore
import Synchronization
import Testing

@testable import QuoteSources

/// Refused cycles wait in order, bounded, and are stored oldest first once the store takes writes.
@Suite struct CycleBacklogTests {
    let key = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
    let t0 = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func cycle(_ minute: Int) -> (values: [MetricKey: SampleValue], at: Timestamp) {
        ([key: SampleValue(Double(minute), from: .polled(from: "test"))], t0.adding(seconds: Double(minute) * 60))
    }

    @Test func keepsAtMostItsLimitDroppingTheOldest() {
        var backlog = CycleBacklog(limit: 2)
        #expect(backlog.keep(cycle(0).values, at: cycle(0).at) == nil)
        #expect(backlog.keep(cycle(1).values, at: cycle(1).at) == nil)
        let dropped = backlog.keep(cycle(2).values, at: cycle(2).at)
        #expect(dropped?.timestamp == cycle(0).at)
        #expect(backlog.cycles.map(\.timestamp) == [cycle(1).at, cycle(2).at])
        #expect(backlog.sampleCount == 2)
    }

    @Test func storesInOrderUntilTheStoreRefusesAndKeepsTheRest() async throws {
        let store = RefusingStore(acceptingWrites: 2)
        var backlog = CycleBacklog()
        for minute in 0..<4 { _ = backlog.keep(cycle(minute).values, at: cycle(minute).at) }
        #expect(await backlog.store(into: store) == 2)
        #expect(backlog.cycles.map(\.timestamp) == [cycle(2).at, cycle(3).at], "the refused cycle and the one after it wait")
        store.accept(more: 10)
        #expect(await backlog.store(into: store) == 2)
        #expect(backlog.isEmpty)
        let stored = try #require(try await store.base.samples(of: 1, in: TimeRange(last: 3_600, endingAt: t0.adding(seconds: 600))))
        #expect(stored.samples.map(\.value) == [0, 1, 2, 3], "in the order the cycles ran")
    }
}

/// A store in memory that takes a set number of writes, then refuses them as a locked SQLite file does.
private final class RefusingStore: MetricStore {
    struct Refused: Error {}

    let base = InMemoryMetricStore()
    private let writesLeft: Mutex<Int>

    init(acceptingWrites count: Int) {
        writesLeft = Mutex(count)
    }

    func accept(more count: Int) { writesLeft.withLock { $0 += count } }

    func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int {
        let accepted = writesLeft.withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
        guard accepted else { throw Refused() }
        return try await base.record(values, at: timestamp)
    }

    func metrics() async throws -> [Metric] { try await base.metrics() }
    func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] { try await base.metrics(for: keys) }
    func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary where Batches.Element == [SampleRow] {
        try await base.importSamples(batches)
    }
    func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? {
        try await base.samples(of: id, in: range, limit: limit)
    }
    func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        try await base.changes(after: cursor, from: oldest)
    }
    func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] { try await base.latestTimestamps(of: keys) }
    func checkReadable() async throws {}
}
