import MetricsCore
import Testing

@testable import QuoteSources

/// Where a ticker's history has holes: at start, and after it went unserved.
@Suite struct GapTrackerTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let ltc = try! Ticker(parsing: "KRAKEN:LTCUSD")
    let now = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    @Test func atStartANewTickerMissesADayAndADownTimeIsAGap() {
        let tracker = GapTracker(threshold: .seconds(120))
        let gaps = tracker.startupGaps(
            of: [btc, eth, ltc], newest: [eth: now.adding(seconds: -3_600), ltc: now.adding(seconds: -60)], now: now)
        #expect(gaps.map(\.ticker) == [btc, eth], "LTC's last sample is within the threshold")
        #expect(gaps[0].range.through == now)
        #expect(gaps[0].range.from < now.adding(seconds: -86_400), "just over a day, so the candle closing a day ago is in")
        #expect(gaps[0].range.from > now.adding(seconds: -86_401))
        #expect(gaps[1].range == TimeRange(from: now.adding(seconds: -3_600), through: now))
        // The cycles take over from now: the first one finds no gap.
        #expect(tracker.served([btc, eth, ltc], at: now.adding(seconds: 60)).isEmpty)
    }

    @Test func aTickerServedAgainAfterTheThresholdLeavesAGap() {
        let tracker = GapTracker(threshold: .seconds(120))
        #expect(tracker.served([btc, eth], at: now).isEmpty, "a first sighting is no gap")
        #expect(tracker.served([btc, eth], at: now.adding(seconds: 60)).isEmpty)
        // ETH goes unserved for three minutes, BTC for two (not more than the threshold).
        #expect(tracker.served([btc], at: now.adding(seconds: 180)).isEmpty)
        let gaps = tracker.served([btc, eth], at: now.adding(seconds: 240))
        #expect(gaps == [BackfillGap(ticker: eth, range: TimeRange(from: now.adding(seconds: 60), through: now.adding(seconds: 240)))])
        #expect(tracker.served([eth], at: now.adding(seconds: 300)).isEmpty, "each gap is reported once")
    }
}
