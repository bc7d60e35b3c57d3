import MetricsCore
import MetricsStore
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

    @Test func storesInOrderOnceTheStoreTakesWritesAndKeepsThemUntilThen() async throws {
        let store = InstrumentedStore(InMemoryMetricStore(), refusing: 1)
        var backlog = CycleBacklog()
        for minute in 0..<4 { _ = backlog.keep(cycle(minute).values, at: cycle(minute).at) }
        #expect(await backlog.store(into: store) == 0, "the first cycle is refused, and so nothing after it is tried")
        #expect(backlog.cycles.map(\.timestamp) == (0..<4).map { cycle($0).at })
        #expect(await backlog.store(into: store) == 4)
        #expect(backlog.isEmpty)
        let stored = try #require(try await store.base.samples(of: 1, in: TimeRange(last: 3_600, endingAt: t0.adding(seconds: 600))))
        #expect(stored.samples.map(\.value) == [0, 1, 2, 3], "in the order the cycles ran")
    }
}
