import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import QuoteSources
import Synchronization
import TestSupport
import Testing

@Suite struct PollerTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let zbtc = try! Ticker(parsing: "ZONDA:BTCUSD")
    let instant = try! Timestamp(rfc3339: "2026-11-25T12:00:00.250Z")
    /// Long enough that the fake's answers are never late, however busy the machine: these tests
    /// count requests, and a timeout's retry would add one.
    let http = UpstreamHTTPClient(timeout: .seconds(30))

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
        store: InMemoryMetricStore,
        metrics: [MetricType] = [.price, .volume]
    ) -> Poller {
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
        do {
            let store = InMemoryMetricStore()
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
                let window = try #require(try await store.samples(of: metric.id, in: TimeRange(last: 60, endingAt: instant)))
                #expect(window.samples.map(\.timestamp) == [instant])
            }
            let zondaVolume = try #require(metrics.first { $0.key == MetricKey(ticker: zbtc, type: .volume) })
            #expect(try await store.samples(of: zondaVolume.id, in: TimeRange(last: 60, endingAt: instant))?.samples.first?.value == 12.5)
        }
    }

    @Test func registersMetricsInThePlansOrderBeforeTheFirstCycle() async throws {
        do {
            let store = InMemoryMetricStore()
            let markets: [PollPlan.Market] = [
                .init(ticker: btc, upstreams: ["kraken"]), .init(ticker: eth, upstreams: ["kraken"]),
                .init(ticker: zbtc, upstreams: ["zonda"]),
            ]
            let poller = poller(markets, baseURL: "http://127.0.0.1:9", store: store)
            await poller.registerMetrics()
            #expect(try await store.metrics().map(\.key) == poller.plan.metricKeys)
        }
    }

    @Test func aCancelledCycleStoresNothingOfWhatItHad() async throws {
        do {
            let store = InMemoryMetricStore()
            let fake = fake()
            fake.setFault(.latency(.seconds(30)), on: .quotes(.zonda))
            // Kraken answers as soon as it is asked.
            let kraken = ScriptedUpstream("kraken") { _ in .success(try! Quote(price: 90_000, volume: 1)) }
            try await fake.withRunning { baseURL in
                let poller = Poller(
                    plan: PollPlan(
                        markets: [.init(ticker: btc, upstreams: ["kraken"]), .init(ticker: zbtc, upstreams: ["zonda"])],
                        metrics: [.price],
                        interval: .seconds(60)
                    ),
                    upstreams: [kraken, ZondaUpstream(baseURL: baseURL, http: UpstreamHTTPClient(timeout: .seconds(20)))],
                    store: InstrumentedStore(store, finishesCancelledWrites: true),
                    logger: Logger(label: "test")
                )
                let cycle = Task { await poller.pollOnce() }
                // Kraken has answered and Zonda is still thinking: then the shutdown comes.
                let asked = try await eventually(within: .seconds(60)) {
                    kraken.batches == 1 && fake.requestCount(on: .quotes(.zonda)) >= 1 ? true : nil
                }
                #expect(asked == true, "both upstreams were asked: \(fake.requests)")
                cycle.cancel()
                let report = await cycle.value
                #expect(report.stored == 0)
            }
            #expect(try await store.metrics().isEmpty, "a cycle abandoned at shutdown stores nothing, not even the quotes it had")
        }
    }

    @Test func storesOnlyTheConfiguredMetrics() async throws {
        do {
            let store = InMemoryMetricStore()
            _ = try await fake().withRunning { baseURL in
                await poller([.init(ticker: btc, upstreams: ["kraken"])], baseURL: baseURL, store: store, metrics: [.price]).pollOnce()
            }
            #expect(try await store.metrics().map(\.key) == [MetricKey(ticker: btc, type: .price)])
        }
    }

    @Test func aFailingUpstreamCostsOnlyItsTickers() async throws {
        do {
            let store = InMemoryMetricStore()
            let fake = fake()
            fake.setFault(.htmlErrorPage, on: .quotes(.zonda))
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
        do {
            let store = InMemoryMetricStore()
            let fake = fake()
            fake.setFault(.status(503, body: #"{"error":["EService:Unavailable"]}"#), on: .quotes(.kraken))
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
        do {
            let store = InMemoryMetricStore()
            let fake = fake()
            fake.setFault(.truncatedJSON, on: .quotes(.kraken))
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
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let simulated = Poller(
                plan: PollPlan(markets: [.init(ticker: btc, upstreams: ["simulated"])], metrics: [.price, .volume], interval: .seconds(1)),
                upstreams: [SimulatedUpstream()],
                store: store,
                logger: Logger(label: "test"),
                now: { clock.now }
            )
            await simulated.backfillHistory()
            await simulated.pollOnce()
            let price = try #require(try await store.metrics().first { $0.type == .price })
            let window = try #require(try await store.samples(of: price.id, in: TimeRange(last: 86_400, endingAt: instant)))
            let history = window.samples.dropLast()
            #expect(history.count == 1_440, "a point a minute, at whole minutes, over the past day")
            #expect(history.allSatisfy { $0.timestamp.microsecondsSince1970 % 60_000_000 == 0 })
            #expect(try #require(history.first).timestamp < instant.adding(seconds: -86_400 + 60))
            #expect(try #require(history.last).timestamp > instant.adding(seconds: -60))
            #expect(window.samples.last?.timestamp == instant)
            let steps = zip(history, history.dropFirst()).map { $1.timestamp.microsecondsSince1970 - $0.timestamp.microsecondsSince1970 }
            #expect(Set(steps) == [60_000_000])
            #expect(window.samples.allSatisfy { (50_000...150_000).contains($0.value) }, "BTC stays at a realistic level")

            // A restart a few seconds later, after more cycles, adds nothing: the day is there.
            clock.advance(seconds: 5)
            await simulated.pollOnce()
            await simulated.backfillHistory()
            let later = try #require(
                try await store.samples(of: price.id, in: TimeRange(last: 86_400 * 2, endingAt: instant.adding(seconds: 5))))
            #expect(later.samples.count == window.samples.count + 1)

            // A restart six hours later fills the six hours it was down.
            clock.advance(seconds: 6 * 3_600)
            await simulated.backfillHistory()
            let filled = try #require(try await store.samples(of: price.id, in: TimeRange(last: 86_400, endingAt: clock.now)))
            let gaps = zip(filled.samples, filled.samples.dropFirst()).map {
                $1.timestamp.microsecondsSince1970 - $0.timestamp.microsecondsSince1970
            }
            #expect(gaps.allSatisfy { $0 <= 60_000_000 }, "no hole in the chart")
            #expect(try #require(filled.samples.last).timestamp > clock.now.adding(seconds: -60))
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

@Suite struct PollerBacklogTests {
    @Test func cyclesTheStoreRefusedAreStoredOnceItTakesWritesAgain() async throws {
        do {
            let base = InMemoryMetricStore()
            let ticker = try Ticker(parsing: "KRAKEN:BTCUSD")
            let busy = InstrumentedStore(base, refusing: 2)
            let poller = Poller(
                plan: PollPlan(markets: [.init(ticker: ticker, upstreams: ["constant"])], metrics: [.price], interval: .seconds(1)),
                upstreams: [ConstantUpstream()],
                store: busy,
                logger: Logger(label: "test")
            )
            let stored = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await poller.run() }
                defer { group.cancelAll() }
                // Two refused cycles, then one that is stored, followed by the two waiting.
                return try await eventually(within: .seconds(60)) { () -> Set<Timestamp>? in
                    guard busy.refused.count == 2, let metric = try await base.metrics().first else { return nil }
                    let window = try await base.samples(of: metric.id, in: TimeRange(last: 3_600, endingAt: .now))
                    let stamps = Set(window?.samples.map(\.timestamp) ?? [])
                    return stamps.isSuperset(of: busy.refused) ? stamps : nil
                }
            }
            #expect(stored != nil, "the refused cycles are stored later")
        }
    }
}

/// An upstream that always quotes 1, for tests about the poller rather than the exchanges.
private struct ConstantUpstream: QuoteUpstream {
    let name = "constant"
    let endpointDescription = "constant"

    func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        Dictionary(uniqueKeysWithValues: tickers.map { ($0, Result { () throws(UpstreamError) in try Quote(price: 1, volume: 1) }) })
    }
}

/// A poller that shares its tickers through leases, when the leases cannot be renewed: before its
/// first renewal it polls nothing (it holds nothing yet, and polling the whole plan would poll other
/// pollers' tickers too); once it held tickers, it goes on polling them, and its cycles wait for
/// the store.
@Suite struct PollerSharingTests {
    private let tickers = ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD"].map { try! Ticker(parsing: $0) }

    private func poller(_ leases: ScriptedLeases, _ upstream: CountingUpstream) -> Poller {
        Poller(
            plan: PollPlan(markets: tickers.map { .init(ticker: $0, upstreams: ["counting"]) }, metrics: [.price], interval: .seconds(1)),
            upstreams: [upstream],
            store: InMemoryMetricStore(),
            logger: Logger(label: "test"),
            sharing: TickerSharing(leases: leases, holder: LeaseHolder(id: "a", name: "a"), interval: .seconds(1))
        )
    }

    @Test func aPollerWhoseFirstRenewalFailsPollsNothing() async throws {
        let leases = ScriptedLeases(successes: 0)
        let upstream = CountingUpstream()
        let poller = poller(leases, upstream)
        let tries = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await poller.run() }
            defer { group.cancelAll() }
            return try await eventually(within: .seconds(60)) { leases.calls >= 3 ? leases.calls : nil }
        }
        #expect(tries != nil, "the poller tries to renew every cycle")
        #expect(upstream.asked == 0, "asked for \(upstream.asked) tickers while holding none")
    }

    @Test func aPollerWhoseRenewalsFailLaterPollsWhatItHeld() async throws {
        let leases = ScriptedLeases(successes: 1)
        let upstream = CountingUpstream()
        let poller = poller(leases, upstream)
        // One renewal granted both tickers, for one cycle: three cycles asked prove polling went on
        // while the renewals failed.
        let asked = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await poller.run() }
            defer { group.cancelAll() }
            return try await eventually(within: .seconds(60)) { upstream.cycles >= 3 ? upstream.cycles : nil }
        }
        #expect(asked != nil, "polled on after the leases failed: \(upstream.cycles) cycles, \(leases.calls) renewals tried")
        #expect(upstream.asked == upstream.cycles * 2, "both tickers held are asked each cycle")
    }
}

/// Leases granted in full for the first `successes` renewals, then refused, as by a database away.
private final class ScriptedLeases: TickerLeases {
    private struct Refused: Error {}
    private let successes: Int
    private let count = Mutex(0)

    init(successes: Int) { self.successes = successes }

    var calls: Int { count.withLock { $0 } }

    func share(of tickers: [Ticker], for holder: LeaseHolder, slot: Timestamp, interval: Duration) async throws -> [Ticker] {
        let call = count.withLock { count in
            count += 1
            return count
        }
        guard call <= successes else { throw Refused() }
        return tickers
    }

    func release(_ holder: LeaseHolder, from slot: Timestamp) async throws {}

    func leaseHolders(at slot: Timestamp) async throws -> [LeaseHolderStatus] { [] }
}

/// An upstream that quotes 1 and counts what it was asked.
private final class CountingUpstream: QuoteUpstream {
    let name = "counting"
    let endpointDescription = "counting"
    private let counts = Mutex((cycles: 0, tickers: 0))

    var cycles: Int { counts.withLock { $0.cycles } }
    var asked: Int { counts.withLock { $0.tickers } }

    func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        counts.withLock { $0 = ($0.cycles + 1, $0.tickers + tickers.count) }
        return Dictionary(uniqueKeysWithValues: tickers.map { ($0, Result { () throws(UpstreamError) in try Quote(price: 1, volume: 1) }) })
    }
}
