import Foundation
import Logging
import MetricsCore
import MetricsStore
import Synchronization
import TestSupport
import Testing

@testable import QuoteSources

/// An upstream whose answers a test scripts, for the poller's own logic: fallbacks, breakers,
/// staleness and gaps. Network faults are tested against the fake exchange in the fault tests.
final class ScriptedUpstream: CandleUpstream {
    let name: String
    var endpointDescription: String { "script" }
    private struct State {
        var answer: @Sendable (Ticker) -> Result<Quote, UpstreamError>
        var batches = 0
        var asked: [Ticker] = []
        var candleRequests: [(ticker: Ticker, range: TimeRange)] = []
    }

    private let state: Mutex<State>
    private let candleSource: @Sendable (Ticker, TimeRange) throws(UpstreamError) -> [Candle]

    init(
        _ name: String,
        candles: @escaping @Sendable (Ticker, TimeRange) throws(UpstreamError) -> [Candle] = { _, _ throws(UpstreamError) in
            throw .exchangeError("no candles in this script")
        },
        answer: @escaping @Sendable (Ticker) -> Result<Quote, UpstreamError>
    ) {
        self.name = name
        self.candleSource = candles
        self.state = Mutex(State(answer: answer))
    }

    func script(_ answer: @escaping @Sendable (Ticker) -> Result<Quote, UpstreamError>) {
        state.withLock { $0.answer = answer }
    }

    var batches: Int { state.withLock { $0.batches } }
    var candleRequests: [TimeRange] { state.withLock { $0.candleRequests.map(\.range) } }
    /// The tickers whose candles were asked for, in order.
    var candleTickers: [Ticker] { state.withLock { $0.candleRequests.map(\.ticker) } }
    /// Every ticker asked for a quote, in order.
    var asked: [Ticker] { state.withLock { $0.asked } }

    func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        let answer = state.withLock { state in
            state.batches += 1
            state.asked += tickers
            return state.answer
        }
        return Dictionary(uniqueKeysWithValues: tickers.map { ($0, answer($0)) })
    }

    func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        state.withLock { $0.candleRequests.append((ticker, range)) }
        return try candleSource(ticker, range)
    }
}

@Suite struct PollerResilienceTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let instant = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func quote(_ price: Double, observedAt: Timestamp? = nil) -> Result<Quote, UpstreamError> {
        Result { () throws(UpstreamError) in try Quote(price: price, volume: 10, observedAt: observedAt) }
    }

    private func poller(
        _ markets: [PollPlan.Market], _ upstreams: [any QuoteUpstream], store: InMemoryMetricStore, clock: ManualClock,
        breaker: CircuitBreaker.Configuration = .init(), maximumQuoteAge: Duration = .seconds(600)
    ) -> Poller {
        Poller(
            plan: PollPlan(
                markets: markets, metrics: [.price, .volume], interval: .seconds(60), maximumQuoteAge: maximumQuoteAge, breaker: breaker),
            upstreams: upstreams, store: store, logger: Logger(label: "test"), now: { clock.now })
    }

    private func values(_ store: InMemoryMetricStore, _ ticker: Ticker, around: Timestamp) async throws -> [Double] {
        let metric = try #require(try await store.metrics().first { $0.key == MetricKey(ticker: ticker, type: .price) })
        return try #require(try await store.samples(of: metric.id, in: TimeRange(last: 86_400 * 3, endingAt: around))).samples.map(\.value)
    }

    @Test func theBreakerSendsTickersStraightToTheirFallbackThenProbesAndCloses() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let primary = ScriptedUpstream("kraken") { _ in .failure(.timedOut(seconds: 1)) }
            let fallback = ScriptedUpstream("cryptowatch") { _ in .success(try! Quote(price: 7, volume: 1)) }
            let poller = poller(
                [.init(ticker: btc, upstreams: ["kraken", "cryptowatch"])], [primary, fallback], store: store, clock: clock,
                breaker: .init(failureThreshold: 2, openDuration: .seconds(150)))
            for cycle in 0..<2 {
                if cycle > 0 { clock.advance(seconds: 60) }
                let report = await poller.pollOnce()
                #expect(report.quotes[btc]?.upstream == "cryptowatch", "the fallback serves in the same cycle")
            }
            #expect(primary.batches == 2)
            let opened = clock.now
            let kraken = try #require(poller.monitor.snapshot().upstreams.first { $0.name == "kraken" })
            #expect(kraken.breaker == "open")
            #expect(kraken.probeAt == opened.adding(seconds: 150), "the pause is measured on the poller's clock")

            // Open: the primary is not asked for the whole pause, the fallback still serves.
            primary.script { _ in .success(try! Quote(price: 9, volume: 1)) }
            for _ in 0..<2 {
                clock.advance(seconds: 60)
                let skipped = await poller.pollOnce()
                #expect(primary.batches == 2)
                #expect(skipped.quotes[btc]?.upstream == "cryptowatch")
                #expect(skipped.rejections[btc]?.first?.error.kind == "circuit_open")
            }
            #expect(poller.monitor.snapshot().tickers.first?.lastUpstream == "cryptowatch")

            // The first cycle after the pause probes with one batch; the upstream is healthy
            // again, so the breaker closes.
            clock.advance(seconds: 60)
            let closed = await poller.pollOnce()
            #expect(closed.quotes[btc]?.upstream == "kraken")
            #expect(closed.quotes[btc]?.quote.price == 9)
            #expect(primary.batches == 3, "exactly one probe")
            #expect(poller.monitor.snapshot().upstreams.first { $0.name == "kraken" }?.breaker == "closed")
        }
    }

    @Test func aMarketsOwnProblemsNeverOpenTheBreaker() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let upstream = ScriptedUpstream("kraken") { _ in .failure(.unknownPair("BTCUSD")) }
            let poller = poller(
                [.init(ticker: btc, upstreams: ["kraken"])], [upstream], store: store, clock: clock,
                breaker: .init(failureThreshold: 1, openDuration: .seconds(60)))
            for _ in 0..<3 { await poller.pollOnce() }
            #expect(upstream.batches == 3)
            #expect(poller.monitor.snapshot().upstreams.first?.breaker == "closed")
            let status = try #require(poller.monitor.snapshot().tickers.first)
            #expect(status.lastError?.kind == "unknown_pair")
            #expect(status.consecutiveFailures == 3)
            #expect(status.lastSuccess == nil)
        }
    }

    @Test func requestsNeverSentSayNothingAboutTheUpstreamsHealth() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            // Our own rate limit left no slot: the exchange was never asked.
            let upstream = ScriptedUpstream("kraken") { _ in .failure(.notSent("no slot")) }
            let poller = poller(
                [.init(ticker: btc, upstreams: ["kraken"])], [upstream], store: store, clock: clock,
                breaker: .init(failureThreshold: 1, openDuration: .seconds(60)))
            for _ in 0..<3 { await poller.pollOnce() }
            #expect(poller.monitor.snapshot().upstreams.first?.breaker == "closed")
            // A real failure still counts.
            upstream.script { _ in .failure(.timedOut(seconds: 1)) }
            await poller.pollOnce()
            #expect(poller.monitor.snapshot().upstreams.first?.breaker == "open")
        }
    }

    @Test func aBackfillWhoseSourcesAllFailSaysSoToBeTriedAgain() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let upstream = ScriptedUpstream("kraken") { _ in .success(try! Quote(price: 1, volume: 1)) }
            let poller = poller([.init(ticker: btc, upstreams: ["kraken"])], [upstream], store: store, clock: clock)
            let gap = BackfillGap(ticker: btc, range: TimeRange(from: instant.adding(seconds: -600), through: instant))
            #expect(await poller.backfill(gap) == nil, "the script's candles fail")
            #expect(upstream.candleRequests.count == 1)
        }
    }

    @Test func pairByPairAdaptersMeetTheTickersInATurningOrder() throws {
        let tickers = try ["A", "B", "C"].map { try Ticker(parsing: "KRAKEN:\($0)USD") }
        let firsts = (0..<3).map { PollRounds.fairOrder(tickers.reversed(), at: instant.adding(seconds: Double($0))).first }
        #expect(Set(firsts.compactMap { $0 }) == Set(tickers), "over three cycles each ticker goes first once")
        #expect(PollRounds.fairOrder(tickers, at: instant).count == 3)
        #expect(PollRounds.fairOrder(tickers, at: Timestamp(microsecondsSince1970: -1_000_000)).count == 3)
    }

    @Test func aStaleQuoteIsRefusedAndNotStored() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let upstream = ScriptedUpstream("kraken") { [instant] ticker in
                // ETH's feed froze an hour ago; BTC's is a second old.
                .success(try! Quote(price: 5, volume: 1, observedAt: instant.adding(seconds: ticker.pair.base == "ETH" ? -3_600 : -1)))
            }
            let poller = poller(
                [.init(ticker: btc, upstreams: ["kraken"]), .init(ticker: eth, upstreams: ["kraken"])], [upstream], store: store,
                clock: clock, maximumQuoteAge: .seconds(300))
            await poller.registerMetrics()
            let report = await poller.pollOnce()
            #expect(report.quotes[btc] != nil)
            #expect(report.failures[eth]?.first?.error == .staleQuote(ageSeconds: 3_600, maximumSeconds: 300))
            #expect(report.stored == 2)
            #expect(try await values(store, btc, around: instant) == [5])
            let metrics = try await store.metrics()
            let ethPrice = try #require(metrics.first { $0.key == MetricKey(ticker: eth, type: .price) })
            #expect(try await store.samples(of: ethPrice.id, in: TimeRange(last: 600, endingAt: instant))?.samples.isEmpty == true)
        }
    }

    @Test func aGapOfMoreThanTwoIntervalsIsFilledFromCandlesBesideThePolledSamples() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let candles: @Sendable (Ticker, TimeRange) throws(UpstreamError) -> [Candle] = { _, range throws(UpstreamError) in
                // Minute candles over the range asked, closing at 1,000 + the minute of the hour.
                var result: [Candle] = []
                var close = (range.from.microsecondsSince1970 / 60_000_000 + 1) * 60_000_000
                while close <= range.through.microsecondsSince1970 {
                    let minute = Double(close / 60_000_000 % 60)
                    result.append(
                        try Candle(
                            openTime: Timestamp(microsecondsSince1970: close - 60_000_000),
                            closeTime: Timestamp(microsecondsSince1970: close),
                            close: 1_000 + minute, volume: 2))
                    close += 60_000_000
                }
                return result
            }
            let upstream = ScriptedUpstream("kraken", candles: candles) { _ in .success(try! Quote(price: 1, volume: 1)) }
            let poller = poller(
                [.init(ticker: btc, upstreams: ["kraken"])], [upstream], store: store, clock: clock, breaker: .init(failureThreshold: 10))

            // A first start fills the past day, minute by minute, marked as backfilled.
            await poller.backfillHistory()
            #expect(upstream.candleRequests.count == 1)
            let first = try await values(store, btc, around: instant)
            #expect(first.count == 1_440)
            await poller.pollOnce()

            // Two cycles are missed (the upstream failed); the third finds the gap and reports it.
            upstream.script { _ in .failure(.unreachable("down")) }
            for _ in 0..<3 {
                clock.advance(seconds: 60)
                #expect(await poller.pollOnce().gaps.isEmpty)
            }
            upstream.script { _ in .success(try! Quote(price: 2, volume: 1)) }
            clock.advance(seconds: 60)
            let back = await poller.pollOnce()
            let gap = try #require(back.gaps.first)
            #expect(gap.range == TimeRange(from: instant, through: instant.adding(seconds: 240)))
            let filled = await poller.backfill(gap)
            #expect(filled == 6, "three minute closes inside the gap, price and volume each")
            let all = try await values(store, btc, around: clock.now)
            #expect(all.suffix(5) == [1, 1_001, 1_002, 1_003, 2], "polled, backfilled, polled")
            // The volume of a backfilled point is the day of candles before it: 1,440 × 2.
            let volume = try #require(try await store.metrics().first { $0.key == MetricKey(ticker: btc, type: .volume) })
            let volumes = try #require(try await store.samples(of: volume.id, in: TimeRange(last: 300, endingAt: clock.now))).samples
            #expect(volumes.suffix(5).map(\.value) == [1, 2_880, 2_880, 2_880, 1])
        }
    }

    @Test func anUpstreamWithoutCandlesIsSkipped() async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let zonda = ZondaUpstream(baseURL: "http://127.0.0.1:9", http: UpstreamHTTPClient(timeout: .seconds(1), retry: .never))
            let poller = poller(
                [.init(ticker: try Ticker(parsing: "ZONDA:BTCUSD"), upstreams: ["zonda"])], [zonda], store: store, clock: clock)
            let gaps = await poller.startupGaps()
            #expect(gaps.count == 1)
            #expect(await poller.backfill(gaps[0]) == 0)
        }
    }

    /// The markets change while the poller runs, as when pollers share tickers by lease: a ticker
    /// taken over is checked for gaps (here: no history at all, so a day of candles is asked for)
    /// and polled from the next cycle on; a ticker handed away is no longer asked.
    @Test func theMarketsPolledCanChangeWhileItRuns() async throws {
        let store = InMemoryMetricStore()
        let upstream = ScriptedUpstream("kraken", candles: { _, _ in [] }) { _ in .success(try! Quote(price: 5, volume: 1)) }
        let poller = Poller(
            plan: PollPlan(markets: [.init(ticker: btc, upstreams: ["kraken"])], metrics: [.price], interval: .seconds(1)),
            upstreams: [upstream], store: store, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await poller.run() }
            defer { group.cancelAll() }
            let polled = try await eventually(within: .seconds(60)) {
                upstream.asked.contains(btc) && upstream.candleTickers == [btc] ? true : nil
            }
            #expect(polled == true, "BTC is backfilled and polled")

            poller.assign([.init(ticker: eth, upstreams: ["kraken"])])
            #expect(poller.monitor.snapshot().tickers.map(\.ticker) == [eth], "the status follows the markets")
            let askedBefore = upstream.asked.count
            let taken = try await eventually(within: .seconds(60)) { () -> [Ticker]? in
                let since = Array(upstream.asked.dropFirst(askedBefore))
                return since.contains(eth) && upstream.candleTickers == [btc, eth] ? since : nil
            }
            #expect(taken != nil, "ETH is backfilled and polled")
            // Every cycle that began after the change asks for ETH alone.
            let later = try await eventually(within: .seconds(60)) { () -> [Ticker]? in
                let since = Array(upstream.asked.dropFirst(askedBefore))
                return since.count >= 3 ? since : nil
            }
            #expect(later.map { Array($0.dropFirst()) }?.allSatisfy { $0 == eth } == true, "\(later ?? [])")
        }
        let ethPrice = try #require(try await store.metrics().first { $0.ticker == eth })
        #expect(try await store.samples(of: ethPrice.id, in: TimeRange(last: 3_600, endingAt: .now))?.samples.isEmpty == false)
    }

}
