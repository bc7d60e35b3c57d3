import AsyncHTTPClient
import FakeUpstream
import Foundation
import NIOCore
import Testing

/// Each fault does what it says, over real HTTP, and every wait is bounded by a deadline.
@Suite struct FakeUpstreamFaultTests {
    private func fake() -> FakeUpstream {
        let fake = FakeUpstream()
        fake.setMarket(.binance, "BTCUSDT", price: 64000, volume: 1200)
        fake.setMarket(.binance, "ETHUSDT", price: 3000, volume: 40000)
        fake.setMarket(.gemini, "btcusd", price: 73268.24, volume: 3.5)
        fake.setMarket(.coinbase, "BTC-USD", price: 63212.97, volume: 4916.9)
        fake.setMarket(.zonda, "BTC-PLN", price: 250_000, volume: 12.5)
        return fake
    }

    private static let btc = "/api/v3/ticker/24hr?symbol=BTCUSDT"
    private static let eth = "/api/v3/ticker/24hr?symbol=ETHUSDT"

    @Test func rateLimitedCarriesRetryAfterAndTheExchangesBody() async throws {
        let fake = fake()
        fake.setFault(.rateLimited(retryAfterSeconds: 7), on: .quotes(.binance))
        try await fake.withRunning { (url: String) async throws in
            let answer = try await fetch(url + Self.btc)
            #expect(answer.status == 429 && answer.retryAfter == "7")
            #expect(answer.body.contains("-1003"))
            #expect(try await fetch("\(url)/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1").status == 200, "candles unaffected")
        }
    }

    @Test func aFaultForTheNextNRequestsRecovers() async throws {
        let fake = fake()
        fake.setFault(.serverError(503), on: .quotes(.binance), times: 2)
        try await fake.withRunning { (url: String) async throws in
            #expect(try await fetch(url + Self.btc).status == 503)
            #expect(try await fetch(url + Self.btc).status == 503)
            #expect(try await fetch(url + Self.btc).status == 200)
            #expect(fake.faultRules.isEmpty, "a spent rule leaves")
            #expect(fake.requestCount(on: .quotes(.binance)) == 3)
            #expect(fake.requests(on: .quotes(.binance)) == Array(repeating: Self.btc, count: 3))
        }
    }

    @Test func aFaultForOnePairSparesTheOthers() async throws {
        let fake = fake()
        fake.setFault(.serverError(502), on: .quotes(.binance), pair: "btcusdt")
        try await fake.withRunning { (url: String) async throws in
            #expect(try await fetch(url + Self.btc).status == 502)
            #expect(try await fetch(url + Self.eth).status == 200)
        }
    }

    @Test func everyNthRequestAndAShareOfPairs() async throws {
        let fake = fake()
        fake.setFault(.serverError(500), on: .quotes(.binance), everyNth: 3)
        try await fake.withRunning { (url: String) async throws in
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await fetch(url + Self.btc).status) }
            #expect(statuses == [200, 200, 500, 200, 200, 500])
        }
        let keys = (1...1000).map { FakeUpstream.generatedMarketKey($0, on: .binance) }
        let selected = keys.filter(FakeUpstream.PairScope.share(0.1).includes)
        #expect((60...140).contains(selected.count), "about a tenth of the pairs")
        #expect(selected == keys.filter(FakeUpstream.PairScope.share(0.1).includes), "the same pairs every time")
    }

    @Test func latencyDelaysTheNormalAnswer() async throws {
        let fake = fake()
        fake.setFault(.latency(.milliseconds(300)), on: .quotes(.gemini))
        try await fake.withRunning { (url: String) async throws in
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await fetch("\(url)/v1/pubticker/btcusd").status == 200)
            #expect(clock.now - started >= .milliseconds(300))
        }
    }

    @Test func dripSendsTheBodyOneByteAtATime() async throws {
        let fake = fake()
        let interval = Duration.milliseconds(3)
        fake.setFault(.drip(interval: interval), on: .quotes(.gemini))
        try await fake.withRunning { (url: String) async throws in
            let clock = ContinuousClock()
            let started = clock.now
            let answer = try await fetch("\(url)/v1/pubticker/btcusd", within: .seconds(60))
            let elapsed = clock.now - started
            #expect(answer.status == 200)
            #expect(try answer.object["last"] as? String == "73268.24000000")
            #expect(elapsed >= interval * (answer.body.utf8.count - 1), "\(elapsed) for \(answer.body.utf8.count) bytes")
        }
    }

    @Test func connectionResetIsATransportError() async throws {
        let fake = fake()
        fake.setFault(.connectionReset, on: .quotes(.coinbase))
        try await fake.withRunning { (url: String) async throws in
            await #expect(throws: (any Error).self) { try await fetch("\(url)/products/BTC-USD/ticker") }
            fake.clearFaults()
            #expect(try await fetch("\(url)/products/BTC-USD/ticker").status == 200, "the server itself is fine")
        }
    }

    @Test func noAnswerEndsOnTheClientsDeadlineAndDoesNotHoldUpShutdown() async throws {
        let fake = fake()
        fake.setFault(.noAnswer, on: .quotes(.binance))
        let clock = ContinuousClock()
        let (pending, stopping) = try await fake.withRunning { (url: String) async throws in
            let started = clock.now
            await #expect(throws: (any Error).self) { try await fetch(url + Self.btc, within: .milliseconds(400)) }
            // The server holds an unanswered request for ten minutes: an end long before that is
            // the client's deadline, however loaded the machine.
            #expect(clock.now - started < .seconds(120), "the client's deadline, not the server, ended it")
            // One more left hanging as the server stops, with a deadline the server's stop must beat.
            let pending = Task { try await fetch(url + Self.btc, within: .seconds(600)) }
            #expect(try await waitUntil { fake.requestCount(on: .quotes(.binance)) == 2 })
            return (pending, clock.now)
        }
        // Far below the request's ten minutes: the server does not wait for it, and closing its
        // connection ends the client's wait.
        #expect(clock.now - stopping < .seconds(120), "the server stops promptly with a request unanswered")
        let outcome = await pending.result
        #expect(throws: (any Error).self) { try outcome.get() }
        #expect(clock.now - stopping < .seconds(120), "the hanging client learns the connection is gone")
    }

    @Test(arguments: [
        (FakeUpstream.Fault.malformedJSON, "application/json"), (.truncatedJSON, "application/json"),
        (.htmlErrorPage, "text/html; charset=UTF-8"),
    ])
    func bodyFaultsSendWhatCannotBeRead(fault: FakeUpstream.Fault, contentType: String) async throws {
        let fake = fake()
        fake.setFault(fault, on: .quotes(.binance))
        try await fake.withRunning { (url: String) async throws in
            let answer = try await fetch(url + Self.btc)
            #expect(answer.status == 200 && answer.contentType == contentType)
            #expect(throws: (any Error).self) { try answer.json }
        }
    }

    @Test func wrongContentTypeSendsValidJSONAsText() async throws {
        let fake = fake()
        fake.setFault(.wrongContentType, on: .quotes(.binance))
        try await fake.withRunning { (url: String) async throws in
            let answer = try await fetch(url + Self.btc)
            #expect(answer.contentType?.hasPrefix("text/plain") == true)
            #expect((try answer.object)["symbol"] as? String == "BTCUSDT")
        }
    }

    @Test func dataFaultsChangeWhatTheAnswerSays() async throws {
        let fake = fake()
        fake.freezeTime(at: 1_795_610_096)
        fake.setFault(.wrongPair, on: .quotes(.binance), pair: "BTCUSDT")
        fake.setFault(.staleQuote(ageSeconds: 3600), on: .quotes(.coinbase))
        fake.setFault(.badValue("\"abc\""), on: .quotes(.gemini), times: 1)
        fake.setFault(.badValue(nil), on: .quotes(.gemini), times: 1)
        fake.setFault(.badValue("-5"), on: .candles(.binance))
        try await fake.withRunning { (url: String) async throws in
            #expect((try await fetch(url + Self.btc).object)["symbol"] as? String == "ETHUSDT")
            #expect((try await fetch(url + Self.eth).object)["symbol"] as? String == "ETHUSDT")
            #expect((try await fetch("\(url)/products/BTC-USD/ticker").object)["time"] as? String == "2026-11-25T11:34:56.000000Z")
            // The later rule fires first: the field is missing, then replaced, then back.
            #expect((try await fetch("\(url)/v1/pubticker/btcusd").object)["last"] == nil)
            #expect((try await fetch("\(url)/v1/pubticker/btcusd").object)["last"] as? String == "abc")
            #expect((try await fetch("\(url)/v1/pubticker/btcusd").object)["last"] as? String == "73268.24000000")
            let rows = try await fetch("\(url)/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2").rows
            #expect(rows.allSatisfy { ($0[4] as? NSNumber)?.intValue == -5 })
        }
    }

    @Test func aDataFaultOnOnePairChangesOnlyItsEntryInABatchAnswer() async throws {
        let fake = fake()
        fake.setMarket(.zonda, "ETH-PLN", price: 12_000, volume: 3)
        fake.setFault(.badValue("null"), on: .quotes(.zonda), pair: "ETH-PLN")
        try await fake.withRunning { (url: String) async throws in
            let items = try #require((try await fetch("\(url)/rest/trading/ticker").object)["items"] as? [String: [String: Any]])
            #expect(items["ETH-PLN"]?["rate"] is NSNull)
            #expect(items["BTC-PLN"]?["rate"] as? String == "250000.00000000")
        }
    }

    @Test func specsReadBackAndTheControlAPIChangesFaultsWhileRunning() async throws {
        let rules = try FaultSpec.parse("binance:*=rate-limited:5@0.1#3")
        #expect(
            rules.count == 2
                && rules[0]
                    == FakeUpstream.FaultRule(
                        .rateLimited(retryAfterSeconds: 5), on: .quotes(.binance), pairs: .share(0.1), recurrence: .next(3))
        )
        for spec in [
            "kraken:candles=latency:250ms%4", "gemini:quotes=bad-value:null@BTCUSD", "zonda:quotes=stale:60",
            "coinbase:quotes=status:418:{}",
        ] {
            let rule = try #require(try FaultSpec.parse(spec).first)
            #expect(try FaultSpec.parse(rule.description) == [rule], "\(spec) → \(rule)")
        }
        #expect(throws: FaultSpec.ParseError.self) { try FaultSpec.parse("binance:quotes=explode") }

        let fake = fake()
        try await fake.withRunning(controlAPI: true) { (url: String) async throws in
            var request = HTTPClientRequest(url: "\(url)/_fake/faults")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(string: #"["binance:quotes=server-error:503"]"#))
            let put = try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(5))
            #expect(put.status.code == 200)
            #expect(try await fetch(url + Self.btc).status == 503)
            request.method = .DELETE
            request.body = nil
            #expect(try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(5)).status.code == 200)
            #expect(try await fetch(url + Self.btc).status == 200)
            request.method = .PUT
            request.body = .bytes(ByteBuffer(string: #"["binance:quotes=nonsense"]"#))
            #expect(try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(5)).status.code == 400)
        }
    }
}
