import FakeUpstream
import Foundation
import Testing

/// Each exchange's routes answer in that exchange's wire format, with the caller's prices and
/// candles a test can compute (``FakeUpstream/Market/candle(openingAt:period:)``).
@Suite struct FakeUpstreamFormatTests {
    /// 2026-11-25T12:34:56.5Z: candle arithmetic below is exact at a frozen instant.
    static let now = 1_795_610_096.5
    static let nowSeconds: Int64 = 1_795_610_096

    private func fake() -> FakeUpstream {
        let fake = FakeUpstream()
        fake.freezeTime(at: Self.now)
        fake.setMarket(.kraken, "XBTUSD", price: 64000, volume: 1440)
        fake.setMarket(.kraken, "DAIUSD", price: 1, volume: 10)
        fake.setMarket(.zonda, "BTC-PLN", price: 250_000, volume: 12.5)
        fake.setMarket(.coinbase, "BTC-USD", price: 63212.97, volume: 4916.94797396)
        fake.setMarket(.binance, "BTCUSDT", price: 64000, volume: 1200)
        fake.setMarket(.binance, "ETHUSDT", price: 3000, volume: 40000)
        fake.setMarket(.bitstamp, "btcusd", price: 73285, volume: 135.29692054)
        fake.setMarket(.bitstamp, "ethusd", price: 3001, volume: 10)
        fake.setMarket(.gemini, "btcusd", price: 73268.24, volume: 3.5434218)
        fake.setMarket(.cryptowatch, "kraken:btcusd", price: 8671.7, volume: 4120.5)
        return fake
    }

    @Test func krakenTickerUsesKrakensKeysAndFailsWholeForAnUnknownPair() async throws {
        try await fake().withRunning { (url: String) async throws in
            let answer = try await fetch("\(url)/0/public/Ticker?pair=XBTUSD,DAIUSD").object
            let result = try #require(answer["result"] as? [String: [String: Any]])
            #expect(Set(result.keys) == ["XXBTZUSD", "DAIUSD"])
            #expect(number((result["XXBTZUSD"]?["c"] as? [Any])?.first) == 64000)
            #expect(number((result["XXBTZUSD"]?["v"] as? [Any])?.last) == 1440)
            let unknown = try await fetch("\(url)/0/public/Ticker?pair=XBTUSD,FOOUSD")
            #expect(unknown.body == #"{"error":["EQuery:Unknown asset pair"]}"#)
        }
    }

    @Test func krakenOHLCEndsWithTheOpenCandleAndSaysWhichIsLast() async throws {
        let fake = fake()
        let market = try #require(fake.market(.kraken, "XBTUSD"))
        try await fake.withRunning { (url: String) async throws in
            let answer = try await fetch("\(url)/0/public/OHLC?pair=XBTUSD&interval=1").object
            let result = try #require(answer["result"] as? [String: Any])
            let rows = try #require(result["XXBTZUSD"] as? [[Any]])
            #expect(rows.count == 720)
            let open = Self.nowSeconds / 60 * 60
            #expect((rows.last?[0] as? NSNumber)?.int64Value == open, "the last row is the candle still open")
            #expect((result["last"] as? NSNumber)?.int64Value == open - 60)
            let expected = market.candle(openingAt: open - 60, period: 60)
            #expect(number(rows[718][4]) == expected.close)
            #expect(number(rows[718][6]) == 1, "1440 a day is 1 a minute")
            #expect(rows[718].count == 8)
            let since = try await fetch("\(url)/0/public/OHLC?pair=XBTUSD&interval=1&since=\(open - 120)").object
            #expect(((since["result"] as? [String: Any])?["XXBTZUSD"] as? [Any])?.count == 2)
        }
    }

    @Test func zondaAnswersOneMarketOrAll() async throws {
        try await fake().withRunning { (url: String) async throws in
            let one = try await fetch("\(url)/rest/trading/ticker/BTC-PLN").object
            #expect(number((one["ticker"] as? [String: Any])?["rate"]) == 250_000)
            let all = try await fetch("\(url)/rest/trading/stats").object
            #expect(number(((all["items"] as? [String: Any])?["BTC-PLN"] as? [String: Any])?["v"]) == 12.5)
            let unknown = try await fetch("\(url)/rest/trading/ticker/LTC-PLN").object
            #expect(unknown["status"] as? String == "Fail")
        }
    }

    @Test func coinbaseTickerAndCandles() async throws {
        let fake = fake()
        let market = try #require(fake.market(.coinbase, "BTC-USD"))
        try await fake.withRunning { (url: String) async throws in
            let ticker = try await fetch("\(url)/products/BTC-USD/ticker").object
            #expect(ticker["price"] as? String == "63212.97")
            #expect(ticker["time"] as? String == "2026-11-25T12:34:56.500000Z")
            #expect(ticker["trade_id"] is NSNumber)
            let unknown = try await fetch("\(url)/products/FOO-USD/ticker")
            #expect(unknown.status == 404 && unknown.body == #"{"message":"NotFound"}"#)

            let rows = try await fetch("\(url)/products/BTC-USD/candles?granularity=300").rows
            #expect(rows.count == 300)
            let times = rows.compactMap { ($0[0] as? NSNumber)?.int64Value }
            #expect(times == times.sorted(by: >), "newest first")
            let second = market.candle(openingAt: times[1], period: 300)
            #expect(number(rows[1][1]) == second.low && number(rows[1][4]) == second.close && number(rows[1][5]) == second.volume)
            let start = Self.nowSeconds - 3600
            let ranged = try await fetch("\(url)/products/BTC-USD/candles?granularity=60&start=\(start)&end=\(start + 599)").rows
            #expect(ranged.count == 10)
            let tooMany = try await fetch("\(url)/products/BTC-USD/candles?granularity=60&start=\(start - 86_400)&end=\(start)")
            #expect(tooMany.status == 400)
        }
    }

    @Test func binanceTickersAndKlines() async throws {
        let fake = fake()
        let market = try #require(fake.market(.binance, "BTCUSDT"))
        try await fake.withRunning { (url: String) async throws in
            let one = try await fetch("\(url)/api/v3/ticker/24hr?symbol=BTCUSDT").object
            #expect(one["symbol"] as? String == "BTCUSDT" && one["lastPrice"] as? String == "64000.00000000")
            #expect(one["volume"] as? String == "1200.00000000")
            let closeTime = (one["closeTime"] as? NSNumber)?.int64Value
            let openTime24h = (one["openTime"] as? NSNumber)?.int64Value
            #expect(closeTime == 1_795_610_096_500)
            #expect(openTime24h == 1_795_523_696_500, "a rolling 24 hours")
            let symbols = "%5B%22BTCUSDT%22,%22ETHUSDT%22%5D"
            let many = try #require(try await fetch("\(url)/api/v3/ticker/24hr?symbols=\(symbols)").json as? [[String: Any]])
            #expect(many.map { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT"])
            let unknown = try await fetch("\(url)/api/v3/ticker/24hr?symbol=FOOUSDT")
            #expect(unknown.status == 400 && unknown.body == #"{"code":-1121,"msg":"Invalid symbol."}"#)

            let start = (Self.nowSeconds / 60 * 60 - 7200) * 1000
            let rows = try await fetch("\(url)/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=\(start)&limit=5").rows
            #expect(rows.count == 5 && rows[0].count == 12)
            let openTime = try #require((rows[0][0] as? NSNumber)?.int64Value)
            #expect(openTime == start && (rows[0][6] as? NSNumber)?.int64Value == openTime + 59_999)
            #expect(number(rows[0][4]) == market.candle(openingAt: openTime / 1000, period: 60).close)
            let latest = try await fetch("\(url)/api/v3/klines?symbol=BTCUSDT&interval=5m&limit=1000").rows
            let lastOpen = (latest.last?[0] as? NSNumber)?.int64Value
            #expect(latest.count == 1000)
            #expect(lastOpen == Self.nowSeconds / 300 * 300_000, "the candle still open comes last")
            #expect(try await fetch("\(url)/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001").status == 400)
        }
    }

    @Test func bitstampTickersAndOHLC() async throws {
        try await fake().withRunning { (url: String) async throws in
            let all = try #require(try await fetch("\(url)/api/v2/ticker/").json as? [[String: Any]])
            #expect(all.map { $0["pair"] as? String } == ["BTC/USD", "ETH/USD"])
            let one = try await fetch("\(url)/api/v2/ticker/btcusd/").object
            #expect(one["last"] as? String == "73285.00000000" && one["timestamp"] as? String == String(Self.nowSeconds))
            #expect(one["pair"] == nil)
            let ohlc = try await fetch("\(url)/api/v2/ohlc/btcusd/?step=3600&limit=3").object
            let data = try #require(ohlc["data"] as? [String: Any])
            #expect(data["pair"] as? String == "BTC/USD")
            let rows = try #require(data["ohlc"] as? [[String: String]])
            #expect(rows.count == 3 && rows.last?["timestamp"] == String(Self.nowSeconds / 3600 * 3600))
            #expect(try await fetch("\(url)/api/v2/ticker/foousd/").status == 404)
        }
    }

    @Test func geminiTickerAndCandles() async throws {
        try await fake().withRunning { (url: String) async throws in
            let ticker = try await fetch("\(url)/v1/pubticker/btcusd").object
            let volume = try #require(ticker["volume"] as? [String: Any])
            #expect(number(ticker["last"]) == 73268.24 && number(volume["BTC"]) == 3.5434218)
            #expect((volume["timestamp"] as? NSNumber)?.int64Value == 1_795_610_096_500 && volume["USD"] != nil)
            let unknown = try await fetch("\(url)/v1/pubticker/foousd").object
            #expect(unknown["reason"] as? String == "InvalidSymbol")
            let rows = try await fetch("\(url)/v2/candles/btcusd/1m").rows
            #expect(rows.count == 1440)
            #expect((rows.first?[0] as? NSNumber)?.int64Value == Self.nowSeconds / 60 * 60_000, "newest first, in ms")
        }
    }

    @Test func cryptowatchSummaryAndOHLC() async throws {
        try await fake().withRunning { (url: String) async throws in
            let summary = try await fetch("\(url)/markets/kraken/btcusd/summary").object
            let result = try #require(summary["result"] as? [String: Any])
            #expect(number((result["price"] as? [String: Any])?["last"]) == 8671.7 && number(result["volume"]) == 4120.5)
            let after = Self.nowSeconds - 600
            let ohlc = try await fetch("\(url)/markets/kraken/btcusd/ohlc?periods=60&after=\(after)").object
            let rows = try #require((ohlc["result"] as? [String: Any])?["60"] as? [[Any]])
            #expect(rows.first?.count == 7)
            let closes = rows.compactMap { ($0[0] as? NSNumber)?.int64Value }
            #expect(closes.first.map { $0 >= after } == true && closes.last == Self.nowSeconds / 60 * 60 + 60)
            #expect(try await fetch("\(url)/markets/kraken/foousd/summary").status == 404)
        }
    }

    @Test func historyDepthLimitsTheCandles() async throws {
        let fake = fake()
        fake.setMarket(.binance, "NEWUSDT", price: 2, volume: 1440, historyDepth: .seconds(3600))
        try await fake.withRunning { (url: String) async throws in
            let rows = try await fetch("\(url)/api/v3/klines?symbol=NEWUSDT&interval=1m&limit=1000").rows
            #expect((60...61).contains(rows.count), "an hour of history and the open candle")
        }
    }
}
