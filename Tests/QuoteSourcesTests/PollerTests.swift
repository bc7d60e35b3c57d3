import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import QuoteSources
import TestSupport
import Testing

@Suite struct PollerTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let zbtc = try! Ticker(parsing: "ZONDA:BTCUSD")
    let instant = try! Timestamp(rfc3339: "2026-11-25T12:00:00.250Z")
    let http = UpstreamHTTPClient(timeout: .seconds(1))

    private func fake() -> FakeUpstream {
        let fake = FakeUpstream()
        fake.setKraken("XXBTZUSD", price: "90000.1", volume: "3000.5")
        fake.setKraken("XETHZUSD", price: "3000.2", volume: "40000.25")
        fake.setZonda("BTC-USD", price: "90100", volume: "12.5")
        return fake
    }

    private func poller(
        _ markets: [PollPlan.Market],
        baseURL: String,
        store: SQLiteMetricStore,
        metrics: [MetricType] = [.price, .volume]
    ) -> Poller<SQLiteMetricStore> {
        Poller(
            plan: PollPlan(markets: markets, metrics: metrics, interval: .seconds(60)),
            upstreams: [
                KrakenUpstream(baseURL: baseURL, http: http), ZondaUpstream(baseURL: baseURL, http: http),
                CryptowatchUpstream(baseURL: baseURL, http: http),
            ],
            store: store,
            logger: Logger(label: "test"),
            now: { [instant] in instant }
        )
    }

    @Test func aCycleStoresEveryMetricAtOneTimestamp() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let fake = fake()
            let report = try await fake.withRunning { baseURL in
                await poller(
                    [
                        .init(ticker: btc, upstreams: ["kraken"]), .init(ticker: eth, upstreams: ["kraken"]),
                        .init(ticker: zbtc, upstreams: ["zonda"]),
                    ],
                    baseURL: baseURL,
                    store: store
                ).pollOnce()
            }
            #expect(report.stored == 6)
            #expect(report.failures.isEmpty)
            #expect(fake.requests.filter { $0.hasPrefix("/0/public/Ticker") }.count == 1, "one Kraken request for all its pairs")
            let metrics = try await store.metrics()
            #expect(metrics.count == 6)
            for metric in metrics {
                let window = try #require(try await store.window(of: metric.id, in: TimeRange(last: 60, endingAt: instant)))
                #expect(window.samples.map(\.timestamp) == [instant])
            }
            let zondaVolume = try #require(metrics.first { $0.key == MetricKey(ticker: zbtc, type: .volume) })
            #expect(try await store.window(of: zondaVolume.id, in: TimeRange(last: 60, endingAt: instant))?.samples.first?.value == 12.5)
        }
    }

    @Test func storesOnlyTheConfiguredMetrics() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            _ = try await fake().withRunning { baseURL in
                await poller([.init(ticker: btc, upstreams: ["kraken"])], baseURL: baseURL, store: store, metrics: [.price]).pollOnce()
            }
            #expect(try await store.metrics().map(\.key) == [MetricKey(ticker: btc, type: .price)])
        }
    }

    @Test func aFailingUpstreamCostsOnlyItsTickers() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let fake = fake()
            fake.setBehaviour(.html, for: .zonda)
            let report = try await fake.withRunning { baseURL in
                await poller(
                    [.init(ticker: btc, upstreams: ["kraken"]), .init(ticker: zbtc, upstreams: ["zonda"])],
                    baseURL: baseURL,
                    store: store
                ).pollOnce()
            }
            #expect(report.stored == 2)
            #expect(report.failures[zbtc]?.first?.error.kind == "malformed_body")
            #expect(try await store.metrics().allSatisfy { $0.ticker == btc }, "nothing of the failed ticker is stored")
        }
    }

    @Test func theNextUpstreamServesATickerTheFirstFailed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let fake = fake()
            fake.setBehaviour(.status(503, body: #"{"error":["EService:Unavailable"]}"#), for: .kraken)
            fake.setCryptowatch(exchange: "kraken", pair: "btcusd", price: 89999, volume: 2999)
            let report = try await fake.withRunning { baseURL in
                await poller([.init(ticker: btc, upstreams: ["kraken", "cryptowatch"])], baseURL: baseURL, store: store).pollOnce()
            }
            #expect(report.quotes[btc]?.upstream == "cryptowatch")
            #expect(report.quotes[btc]?.quote == (try Quote(price: 89999, volume: 2999)))
            #expect(report.stored == 2)
        }
    }

    @Test func aTickerNoUpstreamServesIsReportedWithEveryReason() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let fake = fake()
            fake.setBehaviour(.truncatedJSON, for: .kraken)
            let report = try await fake.withRunning { baseURL in
                await poller([.init(ticker: btc, upstreams: ["kraken", "cryptowatch"])], baseURL: baseURL, store: store).pollOnce()
            }
            #expect(report.failures[btc]?.map(\.upstream) == ["kraken", "cryptowatch"])
            #expect(report.nothingAnswered)
            #expect(report.stored == 0)
            #expect(try await store.metrics().isEmpty)
        }
    }

    @Test func simulatedHistoryFillsTheLastDayOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path)
            let simulated = Poller(
                plan: PollPlan(
                    markets: [.init(ticker: btc, upstreams: ["simulated"])], metrics: [.price, .volume], interval: .seconds(60)),
                upstreams: [SimulatedUpstream()],
                store: store,
                logger: Logger(label: "test"),
                now: { [instant] in instant }
            )
            await simulated.backfillHistory()
            await simulated.backfillHistory()
            await simulated.pollOnce()
            let price = try #require(try await store.metrics().first { $0.type == .price })
            let window = try #require(try await store.window(of: price.id, in: TimeRange(last: 86_400, endingAt: instant)))
            #expect(window.samples.count == 1_441)
            #expect(window.samples.first?.timestamp == instant.adding(seconds: -86_400))
            #expect(window.samples.last?.timestamp == instant)
            let intervals = zip(window.samples, window.samples.dropFirst()).map {
                $1.timestamp.microsecondsSince1970 - $0.timestamp.microsecondsSince1970
            }
            #expect(Set(intervals) == [60_000_000])
            #expect(window.samples.allSatisfy { (50_000...150_000).contains($0.value) }, "BTC stays at a realistic level")
        }
    }

    @Test func theSimulationIsDeterministicAndMoves() throws {
        let first = try SimulatedUpstream.quote(for: btc, at: instant)
        #expect(try SimulatedUpstream.quote(for: btc, at: instant) == first)
        #expect(try SimulatedUpstream.quote(for: btc, at: instant.adding(seconds: 60)) != first)
        #expect(try SimulatedUpstream.quote(for: zbtc, at: instant) != first, "each exchange has its own noise")
        let stable = try SimulatedUpstream.quote(for: Ticker(parsing: "KRAKEN:USDTUSD"), at: instant)
        #expect(abs(stable.price - 1) < 0.01)
    }
}

@Suite struct PollScheduleTests {
    let start = ContinuousClock.now
    var schedule: PollSchedule { PollSchedule(start: start, interval: .seconds(10)) }

    @Test func slotsAreFixedRateWhateverACycleTook() {
        let next = schedule.nextSlot(after: 0, now: start + .seconds(3))
        #expect(next.slot == 1)
        #expect(next.instant == start + .seconds(10))
        #expect(next.missed == 0)
        let later = schedule.nextSlot(after: 1, now: start + .milliseconds(10_900))
        #expect(later.instant == start + .seconds(20), "no drift from a slow cycle")
    }

    @Test func anOverrunSkipsSlotsInsteadOfOverlapping() {
        let next = schedule.nextSlot(after: 1, now: start + .seconds(35))
        #expect(next.slot == 4)
        #expect(next.instant == start + .seconds(40))
        #expect(next.missed == 2)
    }
}
