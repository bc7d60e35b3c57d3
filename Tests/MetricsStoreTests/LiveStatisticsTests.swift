import Foundation
import MetricsCore
import TestSupport
import Testing

@testable import MetricsStore

/// The statistics an API instance serves follow whatever any writer stores in the database.
@Suite struct LiveStatisticsTests {
    let btc = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
    let eth = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:ETHUSD"), type: .price)
    let now = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    @Test(arguments: StoreKind.available)
    func followsWhatIsWrittenCyclesAndImports(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            // What another process's writes look like is the SQLite suite's business; here one
            // store is written and read.
            let (reader, writer) = (store, store)
            let clock = ManualClock(now)
            let statistics = LiveStatistics(store: reader, now: { clock.now })
            #expect(!statistics.isLoaded)
            try await statistics.refresh()
            #expect(statistics.isLoaded)
            #expect(statistics.read { $0.metrics.isEmpty })

            try await writer.record([btc: 1, eth: 99], at: now.adding(seconds: -120), origin: .polled(from: "test"))
            try await writer.record([btc: 2, eth: 106], at: now.adding(seconds: -60), origin: .polled(from: "test"))
            try await statistics.refresh()
            #expect(statistics.read { $0.metrics.map(\.key) } == [btc, eth])
            #expect(statistics.read { $0.report(of: 1, window: .oneDay)?.history.count } == 2)

            _ = try await writer.importSamples([
                SampleRow(key: btc, timestamp: now.adding(seconds: -180), value: 3), SampleRow(key: eth, timestamp: now, value: 300),
            ])
            try await statistics.refresh()
            let report = try #require(statistics.read { $0.report(of: 1, window: .oneDay) })
            #expect(Array(report.history.values) == [3, 1, 2], "a late sample lands in its place")
            #expect(report.rank?.description == "1/2")
            #expect(statistics.read { $0.report(of: 2, window: .oneDay)?.history.count } == 3)

            // Time passes with no writes: the windows slide all the same.
            clock.advance(seconds: 3_600 - 90)
            try await statistics.refresh()
            #expect(statistics.read { $0.report(of: 1, window: .oneHour)?.history.count } == 1, "only the sample a minute ago is left")
        }
    }

    @Test(arguments: StoreKind.available)
    func aLargeChangeIsLoadedBesideTheServedBook(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let statistics = LiveStatistics(store: store, now: { now })
            try await store.record([btc: 1], at: now, origin: .polled(from: "test"))
            try await statistics.refresh()
            let before = statistics.read { $0.generation }
            let count = LiveStatistics.largeChange + 10
            _ = try await store.importSamples(
                (1...count).map { SampleRow(key: eth, timestamp: now.adding(seconds: -Double($0)), value: Double($0 % 97)) })
            try await statistics.refresh()
            #expect(statistics.read { $0.generation } > before, "a fresh book continues the generations")
            #expect(statistics.read { $0.report(of: 2, window: .sevenDays)?.history.count } == min(count, 604_800))
            #expect(statistics.read { $0.report(of: 1, window: .oneDay)?.history.count } == 1, "what was there before is kept")
        }
    }
}
