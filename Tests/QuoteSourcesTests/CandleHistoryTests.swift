import MetricsCore
import Testing

@testable import QuoteSources

@Suite struct CandlePagesTests {
    let now = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    @Test func coversEveryCloseTimeInTheRangeOnce() throws {
        let range = TimeRange(last: 48 * 3600, endingAt: now)
        let pages = CandlePages.plan(closingIn: range, now: now, period: .seconds(60), rowsPerPage: 300)
        #expect(pages.count == 10)
        #expect(pages.first?.firstOpen == range.from.adding(seconds: -60))
        #expect(pages.last?.lastOpen == now.adding(seconds: -60))
        for (earlier, later) in zip(pages, pages.dropFirst()) {
            #expect(later.firstOpen == earlier.lastOpen.adding(seconds: 60))
        }
        let candles = pages.map { ($0.lastOpen.microsecondsSince1970 - $0.firstOpen.microsecondsSince1970) / 60_000_000 + 1 }
        #expect(candles.reduce(0, +) == 2881)
        #expect(candles.allSatisfy { $0 <= 300 })
    }

    @Test func neverAsksForACandleStillOpenOrOutsideTheRange() throws {
        let range = TimeRange(from: try Timestamp(rfc3339: "2026-11-25T10:00:30Z"), through: try Timestamp(rfc3339: "2026-11-25T13:00:00Z"))
        let pages = CandlePages.plan(
            closingIn: range, now: try Timestamp(rfc3339: "2026-11-25T11:00:45Z"), period: .seconds(60), rowsPerPage: 1000)
        #expect(
            pages == [
                CandlePage(
                    firstOpen: try Timestamp(rfc3339: "2026-11-25T10:00:00Z"), lastOpen: try Timestamp(rfc3339: "2026-11-25T10:59:00Z"))
            ])
        #expect(
            CandlePages.plan(
                closingIn: TimeRange(from: now.adding(seconds: 1), through: now.adding(seconds: 59)), now: now.adding(seconds: 600),
                period: .seconds(60), rowsPerPage: 10
            ).isEmpty)
    }

    @Test func capsThePagesKeepingTheMostRecent() {
        let pages = CandlePages.plan(
            closingIn: TimeRange(last: 30 * 86_400, endingAt: now), now: now, period: .seconds(60), rowsPerPage: 300)
        #expect(pages.count == CandlePages.maximumPages)
        #expect(pages.last?.lastOpen == now.adding(seconds: -60))
        #expect(pages.first?.firstOpen == now.adding(seconds: -60 * 300 * 20))
    }

    @Test func finishesCandlesOldestFirstWithoutDuplicatesOrOpenOnes() throws {
        func candle(_ minute: Int64) throws -> Candle {
            try Candle(opening: now.adding(seconds: Double(minute * 60)), period: .seconds(60), close: Double(100 + minute), volume: 1)
        }
        let gathered = [try candle(2), try candle(0), try candle(1), try candle(1), try candle(-5), try candle(3)]
        let range = TimeRange(from: now.adding(seconds: 60), through: now.adding(seconds: 3600))
        // Minute 3 closes at +4 min, after "now" (+3.5 min); minute -5 closes before the range.
        let finished = CandlePages.finished(gathered, closingIn: range, now: now.adding(seconds: 210))
        #expect(finished.map(\.close) == [100, 101, 102])
    }
}

@Suite struct KrakenCandleTests {
    let btcusd = try! CurrencyPair(parsing: "BTCUSD")

    private func answer(_ name: String, pair: CurrencyPair, minutes: Int = 60) throws -> KrakenOHLCAnswer {
        let fixture = try Fixture(name)
        return try KrakenOHLCAnswer(
            status: fixture.status, body: fixture.body, pair: pair, interval: KrakenCandleInterval(minutes: minutes))
    }

    @Test func keepsOnlyTheCandlesLastSaysAreCommitted() throws {
        let candles = try answer("kraken-ohlc-xbtusd-60", pair: btcusd).committed
        #expect(
            candles == [
                try Candle(
                    opening: Timestamp(secondsSince1970: 1_790_492_400), period: .seconds(3600), close: 84767.9, volume: 32.90613655),
                try Candle(
                    opening: Timestamp(secondsSince1970: 1_790_496_000), period: .seconds(3600), close: 84774.7, volume: 72.30000548),
            ])
        // `last` as a string (ccxt's capture); the row after it is the one still forming.
        let usdt = try answer("kraken-ohlc-xbtusdt-60-ccxt", pair: CurrencyPair(parsing: "BTCUSDT")).committed
        #expect(usdt.count == 5)
        #expect(usdt.last?.openTime == Timestamp(secondsSince1970: 1_706_641_200))
    }

    @Test func refusesAnotherPairsCandlesAndAnAnswerWithoutLast() throws {
        #expect(throws: UpstreamError.wrongPair(asked: "XBTUSD", answered: "XBTUSDT")) {
            try answer("kraken-ohlc-xbtusdt-60-ccxt", pair: btcusd)
        }
        #expect(throws: UpstreamError.invalidValue(field: "result.last", reason: "is missing")) {
            try answer("kraken-ohlc-missing-last", pair: btcusd)
        }
        #expect(throws: UpstreamError.unknownPair("FOOUSD")) {
            try answer("kraken-error-unknown-asset-pair", pair: CurrencyPair(parsing: "FOOUSD"))
        }
    }

    @Test func choosesTheFinestIntervalWhose720CandlesReachBack() throws {
        let now = try Timestamp(rfc3339: "2026-11-25T12:00:00Z")
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -48 * 3600), now: now).minutes == 5)
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -11 * 3600), now: now).minutes == 1)
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -12 * 3600), now: now).minutes == 5)
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -30 * 86_400), now: now).minutes == 240)
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -7300 * 86_400), now: now).minutes == 21600)
        #expect(KrakenCandleInterval.choose(reachingBack: now.adding(seconds: -3650 * 86_400), now: now).minutes == 10080)
    }

    @Test func asksSinceTwoIntervalsBeforeTheRangeSinceSinceIsExclusive() throws {
        let range = TimeRange(from: Timestamp(secondsSince1970: 1_790_000_000), through: Timestamp(secondsSince1970: 1_790_172_800))
        #expect(
            KrakenUpstream.ohlcURL(
                baseURL: "https://api.kraken.com", pair: btcusd, interval: KrakenCandleInterval(minutes: 5), range: range)
                == "https://api.kraken.com/0/public/OHLC?pair=XBTUSD&interval=5&since=1789999400")
    }
}

@Suite struct CryptowatchCandleTests {
    let ticker = try! Ticker(parsing: "KRAKEN:BTCUSD")

    @Test func readsMinuteCandlesByCloseTime() throws {
        let fixture = try Fixture("cryptowatch-ohlc-kraken-btcusd-60")
        let candles = try CryptowatchOHLC.parse(status: fixture.status, body: fixture.body, ticker: ticker)
        #expect(candles.map(\.closeTime) == [1_579_605_180, 1_579_605_240, 1_579_605_300].map { Timestamp(secondsSince1970: $0) })
        #expect(candles[0].openTime == Timestamp(secondsSince1970: 1_579_605_120))
        #expect(candles.map(\.close) == [8643.2, 8643.2, 8644.6])
        #expect(candles.map(\.volume) == [0.024, 0.17754514, 0.75])
    }

    @Test func reportsAnUnknownMarketAndAMissingPeriod() throws {
        let missing = try Fixture("cryptowatch-error-not-found")
        let error = #expect(throws: UpstreamError.self) {
            try CryptowatchOHLC.parse(status: missing.status, body: missing.body, ticker: ticker)
        }
        #expect(error?.kind == "unknown_pair")
        let summary = try Fixture("cryptowatch-summary-kraken-btcusd")
        #expect(throws: UpstreamError.malformedBody("result.60 is not an array of candles")) {
            try CryptowatchOHLC.parse(status: summary.status, body: summary.body, ticker: ticker)
        }
    }

    @Test func asksForMinuteCandlesAfterOneMinuteBeforeTheRange() {
        let range = TimeRange(from: Timestamp(secondsSince1970: 1_790_000_000), through: Timestamp(secondsSince1970: 1_790_172_800))
        #expect(
            CryptowatchUpstream.ohlcURL(baseURL: "https://cw.example", ticker: ticker, after: range.from.adding(seconds: -60))
                == "https://cw.example/markets/kraken/btcusd/ohlc?periods=60&after=1789999940")
    }
}
