import Foundation
import MetricsCore
import Testing

@testable import QuoteSources

/// Backfilled points mean what polled ones mean: the price at a time, and the volume of the day
/// before it.
@Suite struct CandleBackfillTests {
    let hour = 3_600.0
    let origin = Timestamp(microsecondsSince1970: 1_780_000_000_000_000)

    /// Hourly candles from `origin`, candle `i` closing at `origin + (i + 1) h` at price `100 + i`
    /// with volume `i + 1`.
    func hourly(_ count: Int, from first: Int = 0) throws -> [Candle] {
        try (first..<(first + count)).map { index in
            try Candle(
                opening: origin.adding(seconds: Double(index) * hour), period: .seconds(3_600), close: 100 + Double(index),
                volume: Double(index + 1))
        }
    }

    @Test func pricesAreClosesAtCloseTimesAndVolumesSumTheDayBefore() throws {
        let candles = try hourly(48)
        // Fill the second day: the gap runs from the close of candle 23 to the close of candle 47.
        let gap = TimeRange(from: origin.adding(seconds: 24 * hour), through: origin.adding(seconds: 48 * hour))
        let points = CandleBackfill.points(from: candles, filling: gap)
        #expect(points.count == 23, "closes strictly inside the gap: its ends are stored already")
        #expect(points.first?.timestamp == origin.adding(seconds: 25 * hour))
        #expect(points.first?.price == 124)
        for point in points {
            let index = Int((Double(point.timestamp.microsecondsSince1970 - origin.microsecondsSince1970) / 1e6 / hour).rounded()) - 1
            // Candles index-23 ... index closed in the 24 hours up to this one's close.
            let expected = ((index - 23)...index).reduce(0.0) { $0 + Double($1 + 1) }
            #expect(point.volume == expected)
            #expect(point.price == 100 + Double(index))
        }
    }

    @Test func aVolumeIsLeftOutWhereTheCandlesDoNotReachADayBack() throws {
        let candles = try hourly(30)
        let gap = TimeRange(from: origin, through: origin.adding(seconds: 30 * hour))
        let points = CandleBackfill.points(from: candles, filling: gap)
        #expect(points.count == 29)
        let withVolume = points.filter { $0.volume != nil }
        #expect(withVolume.first?.timestamp == origin.adding(seconds: 24 * hour), "the first point with a full day behind it")
        #expect(points.filter { $0.volume == nil }.count == 23)
        #expect(withVolume.first?.volume == (1...24).reduce(0.0) { $0 + Double($1) })
    }

    @Test func overlappingPagesDoNotCountACandleTwice() throws {
        let pages = try hourly(30) + hourly(20, from: 29)
        let gap = TimeRange(from: origin, through: origin.adding(seconds: 60 * hour))
        let points = CandleBackfill.points(from: pages, filling: gap)
        #expect(points.count == 49, "candles 0 to 48, the one both pages hold once")
        #expect(Set(points.map(\.timestamp)).count == points.count)
        let last = try #require(points.last)
        #expect(last.volume == (26...49).reduce(0.0) { $0 + Double($1) })
    }

    @Test func candlesRefuseWhatNoMarketShows() {
        #expect(throws: UpstreamError.self) { try Candle(opening: origin, period: .seconds(60), close: 0, volume: 1) }
        #expect(throws: UpstreamError.self) { try Candle(opening: origin, period: .seconds(60), close: 1, volume: -1) }
        #expect(throws: UpstreamError.self) { try Candle(opening: origin, period: .seconds(60), close: .nan, volume: 1) }
        #expect(throws: UpstreamError.self) { try Candle(openTime: origin, closeTime: origin, close: 1, volume: 1) }
    }
}
