import Foundation
import MetricsCore
import Testing

/// Inputs `scripts/fuzz` found to crash a reader or to be read wrongly (kept in
/// Fuzz/<target>/regressions/, which every fuzz run replays first).
@Suite struct FuzzFindingsTests {
    @Test(arguments: ["W\u{301}", "Wed, 21 Oct 2026 07:28:00 GMT\u{301}", "٣٠", String(repeating: "9", count: 100) + "x"])
    func aRetryAfterThatIsNoDateIsRefusedNotTrapped(value: String) {
        #expect(RetryAfter.parse(value) == nil)
    }

    @Test func aRetryAfterDateIsStillRead() {
        let now = Date(timeIntervalSince1970: 1_792_566_000)  // 2026-10-21T07:00:00Z
        #expect(RetryAfter.parse("Wed, 21 Oct 2026 07:28:00 GMT", now: now) == .seconds(1_680))
    }

    /// An offset that carries a date out of the years RFC 3339 can write: such an instant would be
    /// written back as another date.
    @Test(arguments: ["9999-12-31T23:59:59.9-00:01", "0000-01-01T00:00:00+00:01"])
    func aTimestampOutsideTheWritableYearsIsRefused(text: String) {
        #expect(throws: TimestampError.self) { try Timestamp(rfc3339: text) }
    }

    @Test func theEdgesOfTheWritableYearsReadAndWriteBack() throws {
        for text in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"] {
            #expect(try Timestamp(rfc3339: text).rfc3339 == text)
        }
    }

    @Test func aCSVRowInTheYear10000IsRefusedWithItsLine() {
        let text = "ticker,metric_type,timestamp,value\nKRAKEN:BTCUSD,price,9999-12-31T23:59:59-00:01,1\n"
        let error = #expect(throws: SampleCSVError.self) {
            try Array(text.utf8).withUnsafeBytes { bytes in try SampleCSV.read(bytes) { _ in } }
        }
        #expect(error?.line == 2, "\(String(describing: error))")
    }
}
