import Foundation

/// An instant in UTC with microsecond resolution, as stored with every sample.
///
/// Kept as an integer so that comparisons, storage and window arithmetic are exact; the original
/// app's timestamps also carried microseconds.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSince1970: Int64

    public init(microsecondsSince1970: Int64) {
        self.microsecondsSince1970 = microsecondsSince1970
    }

    public init(_ date: Date) {
        microsecondsSince1970 = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public init(secondsSince1970: Int64) {
        microsecondsSince1970 = secondsSince1970 * 1_000_000
    }

    public static var now: Timestamp { Timestamp(Date()) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSince1970 < rhs.microsecondsSince1970
    }

    /// The instant `seconds` later (earlier when negative).
    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microsecondsSince1970: microsecondsSince1970 + Int64((seconds * 1_000_000).rounded()))
    }

    /// The instant `microseconds` later (earlier when negative).
    public func adding(microseconds: Int64) -> Timestamp {
        Timestamp(microsecondsSince1970: microsecondsSince1970 + microseconds)
    }

    /// The latest instant at or before this one that is a whole multiple of `step` since the epoch.
    public func roundedDown(toMultipleOf step: Duration) -> Timestamp {
        let stepMicros = max(1, step.microseconds)
        return Timestamp(microsecondsSince1970: microsecondsSince1970.floorDivided(by: stepMicros).quotient * stepMicros)
    }

    public var description: String { rfc3339 }
}

extension Timestamp {
    /// RFC 3339 in UTC with a `Z`: `2026-11-25T23:21:00Z`, with six fractional digits only when the
    /// instant is not on a whole second (`2026-11-25T23:21:00.850087Z`).
    public var rfc3339: String {
        var writer = RFC3339Writer()
        return String(unsafeUninitializedCapacity: RFC3339Writer.maximumLength) { buffer in
            writer.write(microsecondsSince1970, to: buffer.baseAddress!)
        }
    }

    /// Reads an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, an optional fraction (up to nine
    /// digits, kept to the microsecond), and `Z` or a `±HH:MM` offset, which is applied.
    public init(rfc3339 text: some StringProtocol) throws(TimestampError) {
        let parsed = Array(text.utf8).withUnsafeBufferPointer { Self.parse(rfc3339: $0) }
        guard let parsed else {
            throw TimestampError(input: String(text))
        }
        self = parsed
    }

    /// The first and last instants RFC 3339 can write: 0000-01-01T00:00:00Z and
    /// 9999-12-31T23:59:59.999999Z.
    static let earliest = CivilCalendar.daysSince1970(year: 0, month: 1, day: 1) * 86_400_000_000
    static let latest = (CivilCalendar.daysSince1970(year: 9999, month: 12, day: 31) + 1) * 86_400_000_000 - 1

    /// The same as ``init(rfc3339:)`` over raw bytes, for bulk readers that must not allocate.
    public static func parse(rfc3339 bytes: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var reader = ByteReader(bytes: bytes)
        return reader.readTimestamp()
    }
}

/// A string that is not an RFC 3339 timestamp.
public struct TimestampError: Error, Equatable, CustomStringConvertible {
    public let input: String
    public var description: String {
        "invalid timestamp \"\(input)\": expected RFC 3339 such as 2026-11-25T23:21:00Z"
    }
}

private struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    mutating func digits(_ count: Int) -> Int64? {
        guard index + count <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<count {
            let byte = bytes[index + offset]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    mutating func expect(_ characters: UInt8...) -> Bool {
        guard index < bytes.count, characters.contains(bytes[index]) else { return false }
        index += 1
        return true
    }

    mutating func readTimestamp() -> Timestamp? {
        guard let year = digits(4), expect(UInt8(ascii: "-")),
            let month = digits(2), expect(UInt8(ascii: "-")),
            let day = digits(2), expect(UInt8(ascii: "T"), UInt8(ascii: "t")),
            let hour = digits(2), expect(UInt8(ascii: ":")),
            let minute = digits(2), expect(UInt8(ascii: ":")),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...CivilCalendar.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var scale: Int64 = 100_000
            var count = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                micros += Int64(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                count += 1
                index += 1
            }
            guard (1...9).contains(count) else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if expect(UInt8(ascii: "Z"), UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(UInt8(ascii: ":")), let offsetMinutes = digits(2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = CivilCalendar.daysSince1970(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let instant = seconds * 1_000_000 + micros
        // An offset can carry a date written in range out of it (9999-12-31T23:59:59-00:01), and
        // years outside 0000-9999 cannot be written back in RFC 3339 (found by fuzzing).
        guard (Timestamp.earliest...Timestamp.latest).contains(instant) else { return nil }
        return Timestamp(microsecondsSince1970: instant)
    }
}

/// Proleptic Gregorian calendar arithmetic on day counts (the well-known days-from-civil
/// algorithm), so that formatting and parsing need no `DateFormatter` and no allocation.
enum CivilCalendar {
    static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func date(fromDaysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    /// Division rounding towards negative infinity, with a non-negative remainder.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
