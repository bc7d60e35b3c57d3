import Foundation
import MetricsCore
import Testing

@Suite struct TimestampTests {
    @Test func formatsRFC3339InUTC() {
        #expect(Timestamp(secondsSince1970: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSince1970: 1_795_648_860).rfc3339 == "2026-11-25T23:21:00Z")
        #expect(Timestamp(microsecondsSince1970: 1_645_938_397_850_087).rfc3339 == "2022-02-27T05:06:37.850087Z")
        #expect(Timestamp(microsecondsSince1970: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(secondsSince1970: 951_782_400).rfc3339 == "2000-02-29T00:00:00Z")
    }

    @Test func parsesWhatItFormats() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let micros = Int64.random(in: -2_000_000_000_000_000...4_000_000_000_000_000, using: &generator)
            let timestamp = Timestamp(microsecondsSince1970: micros)
            #expect(try Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
        }
    }

    @Test func agreesWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        for seconds in stride(from: Int64(-5_000_000_000), through: 5_000_000_000, by: 86_399_917) {
            let date = Date(timeIntervalSince1970: Double(seconds))
            #expect(Timestamp(secondsSince1970: seconds).rfc3339 == formatter.string(from: date))
        }
    }

    @Test func appliesOffsetsAndFractions() throws {
        #expect(try Timestamp(rfc3339: "2026-11-26T00:21:00+01:00") == Timestamp(rfc3339: "2026-11-25T23:21:00Z"))
        #expect(try Timestamp(rfc3339: "2026-11-25T18:21:00-05:00") == Timestamp(rfc3339: "2026-11-25T23:21:00Z"))
        #expect(try Timestamp(rfc3339: "2026-11-25T23:21:00.5Z").microsecondsSince1970 % 1_000_000 == 500_000)
        #expect(try Timestamp(rfc3339: "2026-11-25T23:21:00.123456789Z").microsecondsSince1970 % 1_000_000 == 123_456)
        #expect(try Timestamp(rfc3339: "2026-11-25t23:21:00z") == Timestamp(rfc3339: "2026-11-25T23:21:00Z"))
    }

    @Test(arguments: [
        "", "2026-11-25", "2026-11-25T23:21:00", "2026-11-25 23:21:00Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T23:60:00Z", "2026-11-25T23:21:00.Z",
        "2026-11-25T23:21:00Zjunk", "26-11-25T23:21:00Z", "2026-11-25T23:21:00+0100",
    ])
    func rejectsWhatIsNotRFC3339(text: String) {
        #expect(throws: TimestampError.self) { try Timestamp(rfc3339: text) }
    }
}
