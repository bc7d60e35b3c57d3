import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import TestSupport
import Testing

@testable import QuoteSources

/// The real poller and adapters against the fake exchange misbehaving in each way real exchanges
/// do: nothing wrong is stored, the cycle ends within its budget, the fallback serves the ticker,
/// the breaker opens and recovers, and the other tickers are unaffected.
@Suite struct FaultIntegrationTests {
    let btc = try! Ticker(parsing: "BINANCE:BTCUSDT")
    let eth = try! Ticker(parsing: "COINBASE:ETH-USD")
    let instant = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func fake() -> FakeUpstream {
        let fake = FakeUpstream()
        // The exchanges' clocks agree with the poller's, so that quote ages are exact.
        fake.freezeTime(at: Double(instant.microsecondsSince1970) / 1e6)
        fake.setMarket(.binance, "BTCUSDT", price: 64_000, volume: 1_200)
        fake.setMarket(.coinbase, "ETH-USD", price: 3_000, volume: 9_000)
        // The Cryptowatch-compatible fallback prices Binance's market a little differently, so
        // that a test can tell which one served.
        fake.setCryptowatch(exchange: "binance", pair: "btcusdt", price: 64_100, volume: 1_100)
        return fake
    }

    /// Timing is set so that no verdict depends on the machine's speed. Binance's timeout is one
    /// second when its fault hangs (an answer that never comes, or comes far later than that), and
    /// ten seconds otherwise, as for the other upstreams: more than any local answer takes on a
    /// loaded machine. A 30-second interval gives the first round 12 s, room for three attempts
    /// that each time out. The breakers' pauses run on the poller's manual clock.
    private func poller(
        _ baseURL: String, store: InMemoryMetricStore, clock: ManualClock, interval: Duration, binanceTimeout: Duration
    ) -> Poller {
        func http(_ name: String, timeout: Duration = .seconds(10)) -> UpstreamHTTPClient {
            UpstreamHTTPClient(
                upstream: name, timeout: timeout, retry: RetryPolicy(maximumRetries: 2, baseDelay: .milliseconds(20)),
                rateLimit: RateLimit(requests: 1_000, per: .seconds(1)))
        }
        return Poller(
            plan: PollPlan(
                markets: [.init(ticker: btc, upstreams: ["binance", "cryptowatch"]), .init(ticker: eth, upstreams: ["coinbase"])],
                metrics: [.price, .volume], interval: interval, maximumQuoteAge: .seconds(300),
                breaker: .init(failureThreshold: 2, openDuration: Self.breakerPause)),
            upstreams: [
                BinanceUpstream(baseURL: baseURL, http: http("binance", timeout: binanceTimeout)),
                CoinbaseUpstream(baseURL: baseURL, http: http("coinbase")),
                CryptowatchUpstream(baseURL: baseURL, http: http("cryptowatch")),
            ],
            store: store, logger: Logger(label: "test"), now: { clock.now })
    }

    static let interval = Duration.seconds(30)
    /// Longer than one interval and shorter than two: an open breaker skips exactly one cycle.
    static let breakerPause = Duration.seconds(45)

    /// Runs `body` with a poller over a fresh store and the fake exchange, `fault` on Binance's quotes.
    private func withFaultyBinance(
        _ fault: FakeUpstream.Fault?, interval: Duration = Self.interval, hangTimeout: Duration = .seconds(3),
        _ body: @Sendable (Poller, FakeUpstream, ManualClock, InMemoryMetricStore) async throws -> Void
    ) async throws {
        do {
            let store = InMemoryMetricStore()
            let clock = ManualClock(instant)
            let fake = fake()
            if let fault { fake.setFault(fault, on: .quotes(.binance)) }
            try await fake.withRunning { baseURL in
                let poller = poller(
                    baseURL, store: store, clock: clock, interval: interval,
                    // A hang ends at 3 s: long enough that on a loaded machine an answer that
                    // does come (a 503 before the hang) is not taken for one.
                    binanceTimeout: fault?.hangs == true ? hangTimeout : .seconds(10))
                try await body(poller, fake, clock, store)
            }
        }
    }

    /// Faults that say the upstream is unwell (and open its breaker), and faults in one market's
    /// data (which do not).
    static let faults: [(FakeUpstream.Fault, String, Bool)] = [
        (.latency(.seconds(60)), "timeout", true),
        (.noAnswer, "timeout", true),
        (.serverError(503), "http_status", true),
        (.rateLimited(retryAfterSeconds: 1), "rate_limited", true),
        (.malformedJSON, "malformed_body", true),
        (.truncatedJSON, "malformed_body", true),
        (.htmlErrorPage, "malformed_body", true),
        (.connectionReset, "unreachable", true),
        (.drip(interval: .milliseconds(100)), "timeout", true),
        (.wrongPair, "wrong_pair", false),
        (.staleQuote(ageSeconds: 3_600), "stale_quote", false),
        (.badValue(#""abc""#), "invalid_value", false),
        (.badValue("0"), "invalid_value", false),
        (.badValue("-5"), "invalid_value", false),
        (.badValue(nil), "invalid_value", false),
    ]

    @Test(arguments: faults)
    func theFallbackServesAndNothingWrongIsStored(fault: FakeUpstream.Fault, kind _: String, opensTheBreaker: Bool) async throws {
        try await withFaultyBinance(fault) { poller, fake, clock, store in
            await poller.registerMetrics()
            for cycle in 0..<2 {
                if cycle > 0 { clock.advance(seconds: Self.interval.seconds) }
                let started = ContinuousClock.now
                let report = await poller.pollOnce()
                // The budget (24 s) ends the asking; what is left of the interval is for storing,
                // and for a loaded machine's lag.
                #expect(ContinuousClock.now - started < poller.plan.interval, "\(fault): within the interval")
                #expect(report.failures[btc] == nil, "\(fault): the fallback serves")
                #expect(report.quotes[btc]?.upstream == "cryptowatch", "\(fault)")
                #expect(report.quotes[eth]?.quote.price == 3_000, "\(fault): the other ticker is unaffected")
                if cycle == 0 {
                    let attempt = try #require(poller.monitor.snapshot().tickers.first)
                    #expect(attempt.lastUpstream == "cryptowatch")
                }
            }
            let prices = try await store.samples(of: 1, in: TimeRange(last: 60, endingAt: clock.now))?.samples.map(\.value)
            #expect(prices == [64_100, 64_100], "\(fault): only the fallback's prices are stored")
            let breaker = poller.monitor.snapshot().upstreams.first { $0.name == "binance" }?.breaker
            #expect(breaker == (opensTheBreaker ? "open" : "closed"), "\(fault)")
            let status = try #require(poller.monitor.snapshot().tickers.first)
            #expect(status.lastUpstream == "cryptowatch")

            // Recovery: the fault clears. An open breaker skips one more cycle, then its probe
            // succeeds and Binance serves again; a closed one lets Binance serve at once.
            fake.clearFaults()
            if opensTheBreaker {
                clock.advance(seconds: Self.interval.seconds)
                let skipped = await poller.pollOnce()
                #expect(skipped.quotes[btc]?.upstream == "cryptowatch", "\(fault): the breaker is still open")
                #expect(skipped.rejections[btc]?.first?.error.kind == "circuit_open", "\(fault)")
            }
            clock.advance(seconds: Self.interval.seconds)
            let recovered = await poller.pollOnce()
            #expect(recovered.quotes[btc]?.upstream == "binance", "\(fault): the breaker recovers")
            #expect(recovered.quotes[btc]?.quote.price == 64_000)
            #expect(poller.monitor.snapshot().upstreams.first { $0.name == "binance" }?.breaker == "closed")
        }
    }

    @Test(arguments: faults)
    func eachRejectionIsReportedWithItsUpstreamAndReason(fault: FakeUpstream.Fault, kind: String, opensTheBreaker _: Bool) async throws {
        try await withFaultyBinance(fault) { poller, _, _, _ in
            let report = await poller.pollOnce()
            let rejection = try #require(report.rejections[btc]?.first, "\(fault)")
            #expect(rejection.upstream == "binance")
            #expect(rejection.error.kind == kind, "\(fault): \(rejection.error)")
            let status = try #require(poller.monitor.snapshot().tickers.first)
            #expect(status.lastError?.upstream == "binance")
            #expect(status.lastError?.kind == kind)
            #expect(report.rejections[eth] == nil)
        }
    }

    /// The product's side of "the kind depends on timing": when a retry fails another way than
    /// the first attempt (here, a 503, then no answer at all), the report names the first cause.
    @Test func aRetryThatFailsAnotherWayReportsTheFirstCause() async throws {
        // The 503 must come back before the timeout, on a loaded machine too: 10 s for each
        // attempt, in 20 s rounds that hold the 503 and the first hanging retry whole.
        try await withFaultyBinance(.noAnswer, interval: .seconds(50), hangTimeout: .seconds(10)) { poller, fake, _, _ in
            // The latest fault set wins while it lasts: the first request gets the 503.
            fake.setFault(.serverError(503), on: .quotes(.binance), times: 1)
            let report = await poller.pollOnce()
            #expect(fake.requestCount(on: .quotes(.binance)) == 3, "the 503 and two retries that hang")
            let rejection = try #require(report.rejections[btc]?.first)
            #expect(rejection.error.kind == "http_status", "\(rejection.error)")
            #expect(poller.monitor.snapshot().tickers.first?.lastError?.kind == "http_status")
        }
    }

    @Test func retryAfterIsWaitedOutWhenItFitsTheCycleAndHoldsEveryRequestBackWhenItDoesNot() async throws {
        // A 100-second interval: each round has 40 s, so that one second fits beside the two
        // answers even on a machine so loaded that a local answer takes seconds (with 8 s rounds,
        // a loaded CI run once fell to the fallback), and ten minutes never fit.
        let interval = Duration.seconds(100)
        try await withFaultyBinance(nil, interval: interval) { poller, fake, clock, _ in
            // One second fits the round: the retry waits it out, not going early.
            fake.setFault(.rateLimited(retryAfterSeconds: 1), on: .quotes(.binance), times: 1)
            let started = ContinuousClock.now
            let waited = await poller.pollOnce()
            #expect(ContinuousClock.now - started >= .seconds(1), "the pause was waited out")
            #expect(fake.requestCount(on: .quotes(.binance)) == 2)
            #expect(waited.quotes[btc]?.upstream == "binance", "the retry is answered: \(waited.rejections[btc] ?? [])")

            // Ten minutes do not fit: one request, no retry, and the next cycle does not ask
            // Binance at all while the pause lasts (it outlasts this test on any machine).
            fake.setFault(.rateLimited(retryAfterSeconds: 600), on: .quotes(.binance), times: 1)
            clock.advance(seconds: interval.seconds)
            let refused = await poller.pollOnce()
            #expect(fake.requestCount(on: .quotes(.binance)) == 3)
            #expect(refused.rejections[btc]?.first?.error == .rateLimited(retryAfterSeconds: 600))
            clock.advance(seconds: interval.seconds)
            let held = await poller.pollOnce()
            #expect(fake.requestCount(on: .quotes(.binance)) == 3, "held back by Retry-After")
            #expect(held.rejections[btc]?.first?.error.kind == "rate_limited")
            #expect(held.quotes[btc]?.upstream == "cryptowatch")
        }
    }
}

extension FakeUpstream.Fault {
    /// Whether the answer never comes, or comes far later than a one-second timeout.
    fileprivate var hangs: Bool {
        switch self {
        case .latency, .noAnswer, .drip: true
        default: false
        }
    }
}
