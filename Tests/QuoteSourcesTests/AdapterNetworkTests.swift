import FakeUpstream
import MetricsCore
import Testing

@testable import QuoteSources

/// Adapters against the fake exchange on 127.0.0.1, over real HTTP.
@Suite struct AdapterNetworkTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let doge = try! Ticker(parsing: "KRAKEN:DOGEUSD")
    let usdt = try! Ticker(parsing: "KRAKEN:USDTUSD")
    // Far longer than a loaded machine takes to answer from 127.0.0.1: these answers arrive.
    let http = UpstreamHTTPClient(timeout: .seconds(30), retry: .never)

    private func krakenFake() -> FakeUpstream {
        let fake = FakeUpstream()
        fake.setKraken("XXBTZUSD", price: "90000.10000", volume: "3000.5")
        fake.setKraken("XDGUSD", price: "0.1712250", volume: "98765432.87654321")
        fake.setKraken("USDTZUSD", price: "1.00005000", volume: "25000000.00000000")
        return fake
    }

    @Test func krakenAsksForEveryPairInOneRequest() async throws {
        let fake = krakenFake()
        let quotes = try await fake.withRunning { baseURL in
            await KrakenUpstream(baseURL: baseURL, http: http).quotes(for: [btc, doge, usdt], at: .now)
        }
        #expect(try quotes[btc]?.get() == Quote(price: 90000.1, volume: 3000.5))
        #expect(try quotes[doge]?.get().price == 0.171225)
        #expect(try quotes[usdt]?.get().volume == 25_000_000)
        #expect(fake.requests == ["/0/public/Ticker?pair=XBTUSD,XDGUSD,USDTUSD"])
    }

    @Test func anUnknownKrakenPairDoesNotSilenceTheOthers() async throws {
        let fake = krakenFake()
        let unknown = try Ticker(parsing: "KRAKEN:FOOUSD")
        let (first, second, requests) = try await fake.withRunning { baseURL in
            let kraken = KrakenUpstream(baseURL: baseURL, http: http)
            let first = await kraken.quotes(for: [btc, unknown, doge], at: .now)
            let requestsForFirst = fake.requests.count
            let second = await kraken.quotes(for: [btc, unknown, doge], at: .now)
            return (first, second, (requestsForFirst, fake.requests.count - requestsForFirst))
        }
        for quotes in [first, second] {
            #expect(try quotes[btc]?.get().price == 90000.1)
            #expect(try quotes[doge]?.get().price == 0.171225)
            #expect(throws: UpstreamError.unknownPair("FOOUSD")) { try quotes[unknown]?.get() }
        }
        #expect(requests.0 == 4, "the failed batch, then each pair alone")
        #expect(requests.1 == 2, "the next cycle remembers: one batch of the listed pairs, the unknown one alone")
    }

    @Test(arguments: [
        (FakeUpstream.Fault.status(500, body: "oops"), "http_status"),
        (.status(429, body: #"{"error":["EAPI:Rate limit exceeded"]}"#), "rate_limited"),
        (.htmlErrorPage, "malformed_body"),
        (.truncatedJSON, "malformed_body"),
        (.latency(.seconds(600)), "timeout"),
    ])
    func everyFailureIsReportedPerTicker(fault: FakeUpstream.Fault, kind: String) async throws {
        let fake = krakenFake()
        fake.setFault(fault, on: .quotes(.kraken))
        let (quotes, took) = try await fake.withRunning { baseURL in
            // Long enough that a loaded machine answers the fast failures in time; the slow
            // upstream takes ten minutes.
            let clock = ContinuousClock()
            let started = clock.now
            let quotes = await KrakenUpstream(baseURL: baseURL, http: UpstreamHTTPClient(timeout: .seconds(30), retry: .never)).quotes(
                for: [btc, doge], at: .now)
            return (quotes, clock.now - started)
        }
        // Held until the answer, the request would take ten minutes; the timeout ends it at 30 s.
        #expect(took < .seconds(300), "a slow upstream must not hold the cycle past its timeout")
        for ticker in [btc, doge] {
            let error = #expect(throws: UpstreamError.self) { try quotes[ticker]?.get() }
            #expect(error?.kind == kind, "\(String(describing: error))")
        }
    }

    @Test func anUnreachableUpstreamIsReported() async throws {
        // Port 9 (discard) on loopback has nothing listening here. The refusal is immediate; the
        // long timeout only keeps a starved event loop on a loaded machine from reading as a timeout.
        let patient = UpstreamHTTPClient(timeout: .seconds(20), retry: .never)
        let quotes = await KrakenUpstream(baseURL: "http://127.0.0.1:9", http: patient).quotes(for: [btc], at: .now)
        let error = #expect(throws: UpstreamError.self) { try quotes[btc]?.get() }
        #expect(error?.kind == "unreachable")
    }

    @Test func zondaUsesItsAllMarketsEndpointsForSeveralPairs() async throws {
        let fake = FakeUpstream()
        fake.setZonda("BTC-USD", price: "91000.5", volume: "12.5")
        fake.setZonda("ETH-USD", price: "3001", volume: "153.2041")
        let zbtc = try Ticker(parsing: "ZONDA:BTCUSD")
        let zeth = try Ticker(parsing: "ZONDA:ETHUSD")
        let zltc = try Ticker(parsing: "ZONDA:LTCUSD")
        let (many, one) = try await fake.withRunning { baseURL in
            let zonda = ZondaUpstream(baseURL: baseURL, http: http)
            return (await zonda.quotes(for: [zbtc, zeth, zltc], at: .now), await zonda.quotes(for: [zeth], at: .now))
        }
        #expect(try many[zbtc]?.get() == Quote(price: 91000.5, volume: 12.5))
        #expect(try many[zeth]?.get() == Quote(price: 3001, volume: 153.2041))
        #expect(throws: UpstreamError.unknownPair("LTC-USD")) { try many[zltc]?.get() }
        #expect(try one[zeth]?.get() == Quote(price: 3001, volume: 153.2041))
        #expect(
            Set(fake.requests) == [
                "/rest/trading/ticker", "/rest/trading/stats", "/rest/trading/ticker/ETH-USD", "/rest/trading/stats/ETH-USD",
            ])
    }

    @Test func cryptowatchAsksPerPairWithTheAPIKey() async throws {
        let fake = FakeUpstream()
        fake.setCryptowatch(exchange: "kraken", pair: "btcusd", price: 8671.7, volume: 4120.5)
        let unknown = try Ticker(parsing: "KRAKEN:LTCUSD")
        let quotes = try await fake.withRunning { baseURL in
            await CryptowatchUpstream(baseURL: baseURL, apiKey: "secret", http: http).quotes(for: [btc, unknown], at: .now)
        }
        #expect(try quotes[btc]?.get() == Quote(price: 8671.7, volume: 4120.5))
        #expect(throws: UpstreamError.self) { try quotes[unknown]?.get() }
        #expect(Set(fake.requests) == ["/markets/kraken/btcusd/summary", "/markets/kraken/ltcusd/summary"])
        #expect(fake.apiKeys == ["secret", "secret"])
    }
}
