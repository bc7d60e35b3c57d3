import Testing

@testable import MetricsCore

/// The overview's line for one metric, checked against values worked out by hand from a series
/// with one sample every ten minutes over two days.
@Suite struct MetricSummaryTests {
    let now = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")
    let btc = Metric(id: 1, key: MetricKey(ticker: try! Ticker(parsing: "KRAKEN:BTCUSD"), type: .price))
    let eth = Metric(id: 2, key: MetricKey(ticker: try! Ticker(parsing: "KRAKEN:ETHUSD"), type: .price))

    /// Sample k (k = 0 ... 288) at now − (288 − k) × 10 min has value 100 + k.
    func book() -> StatisticsBook {
        var book = StatisticsBook()
        book.register([btc, eth])
        let offsets = Array(0...288)
        let timestamps: [Int64] = offsets.map { now.microsecondsSince1970 - Int64(288 - $0) * 600_000_000 }
        let values: [Double] = offsets.map { 100 + Double($0) }
        book.insert(1, timestamps: timestamps, values: values)
        book.insert(2, timestamps: [now.microsecondsSince1970 - 60_000_000], values: [5])
        book.advance(to: now)
        return book
    }

    @Test func newestValueChangesStatisticsAndRank() throws {
        let book = book()
        let summary = try #require(book.summary(of: 1, window: .oneDay))
        #expect(summary.latest == Sample(timestamp: now, value: 388))
        // An hour ago is sample 282 (382); a day ago sample 144 (244).
        let hourChange: Double = (388 - 382) / 382 * 100
        let dayChange: Double = (388 - 244) / 244 * 100
        #expect(summary.changeOverHour == hourChange)
        #expect(summary.changeOverDay == dayChange)
        #expect(summary.statistics == book.statistics(of: 1, window: .oneDay))
        #expect(summary.rank == book.report(of: 1, window: .oneDay)?.rank)
        #expect(summary.window == .oneDay)
    }

    @Test func theSparklineTakesTheNewestSampleAtEvenlySpacedMoments() throws {
        let summary = try #require(book().summary(of: 1, window: .oneDay))
        // The day is cut in 24 hours; at the end of hour h the newest sample is 144 + 6h.
        let expected: [Double] = (1...24).map { hour in 244 + 6 * Double(hour) }
        #expect(summary.sparkline == expected)
        let hour = try #require(book().summary(of: 1, window: .oneHour))
        // Seven samples in the hour's window (which holds the one exactly an hour ago): each of
        // them once, though 24 moments are looked at.
        #expect(hour.sparkline == [382, 383, 384, 385, 386, 387, 388])
    }

    @Test func aMetricWithoutHistoryHasNoChangeAndUnknownIDsNoSummary() throws {
        let book = book()
        let summary = try #require(book.summary(of: 2, window: .oneDay))
        #expect(summary.latest?.value == 5)
        #expect(summary.changeOverHour == nil && summary.changeOverDay == nil)
        #expect(summary.sparkline == [5])
        #expect(book.summary(of: 3, window: .oneDay) == nil)
    }
}
