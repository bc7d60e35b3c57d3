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

    /// The live stream sends what each refresh reports as added: every new sample once, and none
    /// that the feed repeats or that the book already held.
    @Test(arguments: StoreKind.available)
    func eachRefreshReportsExactlyTheSamplesItAdded(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let statistics = LiveStatistics(store: store, now: { now })
            try await store.record([btc: 1, eth: 10], at: now.adding(seconds: -120), origin: .polled(from: "test"))
            let first = try await statistics.refresh()
            #expect(first.isFullLoad && first.added.isEmpty, "a full load replaces the book: nothing is reported as added")

            try await store.record([btc: 2, eth: 20], at: now.adding(seconds: -60), origin: .polled(from: "test"))
            // Backfill-like: one sample older than held ones, and one the book already holds.
            _ = try await store.importSamples([
                SampleRow(key: btc, timestamp: now.adding(seconds: -180), value: 0.5),
                SampleRow(key: btc, timestamp: now.adding(seconds: -120), value: 1),
            ])
            let second = try await statistics.refresh()
            #expect(!second.isFullLoad)
            let added = Dictionary(
                uniqueKeysWithValues: second.added.map { ($0.metricID, Set(zip($0.timestamps, $0.values).map { "\($0)=\($1)" })) })
            let at = { (seconds: Double) in now.adding(seconds: seconds).microsecondsSince1970 }
            #expect(added[1] == ["\(at(-180))=0.5", "\(at(-60))=2.0"])
            #expect(added[2] == ["\(at(-60))=20.0"])

            let third = try await statistics.refresh()
            #expect(third.added.isEmpty, "nothing new, nothing reported")
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

    /// Instances behind a load balancer serve the same bytes whenever each started: one that has
    /// followed the writes from the start (its windows sliding sample by sample) and one that
    /// loads everything at once later must hold the same statistics and ranks, to the last bit.
    /// Two hours of history a few seconds apart make the hour's window slide at every cycle.
    @Test(arguments: StoreKind.available)
    func instancesStartedAtDifferentMomentsServeTheSameStatistics(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let keys = (1...12).flatMap { index in
                MetricType.allCases.map { MetricKey(ticker: try! Ticker(parsing: "KRAKEN:C\(index)USD"), type: $0) }
            }
            var random: UInt64 = 0x9E37_79B9_7F4A_7C15
            func next() -> Double {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(random >> 11) / Double(1 << 53)
            }
            var levels = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, 1_000 * Double($0 + 1)) })
            func values() -> [MetricKey: Double] {
                for key in keys { levels[key]! = max(1, levels[key]! * (1 + (next() - 0.5) / 50)) }
                return levels
            }
            var history: [SampleRow] = []
            var time = now.adding(seconds: -7_200)
            while time < now {
                for (key, value) in values() { history.append(SampleRow(key: key, timestamp: time, value: value)) }
                time = time.adding(seconds: 10 + 20 * next())
            }
            _ = try await store.importSamples(history)

            let clock = ManualClock(now)
            let early = LiveStatistics(store: store, now: { clock.now })
            try await early.refresh()
            var late: LiveStatistics?
            var compared = 0
            for cycle in 1...60 {
                clock.advance(seconds: 3.7 + 5 * next())
                _ = try await store.record(values(), at: clock.now, origin: .polled(from: "test"))
                try await early.refresh()
                if cycle == 25 {
                    late = LiveStatistics(store: store, now: { clock.now })
                }
                guard let late else { continue }
                try await late.refresh()
                for id in 1...Int64(keys.count) {
                    for window in StatisticsWindow.allCases {
                        let (a, b) = (early.read { $0.report(of: id, window: window) }, late.read { $0.report(of: id, window: window) })
                        #expect(a?.history.count == b?.history.count, "metric \(id), \(window), cycle \(cycle)")
                        #expect(a?.statistics == b?.statistics, "metric \(id), \(window), cycle \(cycle)")
                        #expect(a?.rank == b?.rank, "metric \(id), \(window), cycle \(cycle)")
                        compared += 1
                    }
                }
            }
            #expect(compared == 36 * keys.count * 3)
        }
    }
}
