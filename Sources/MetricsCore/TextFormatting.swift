/// Writes timestamps as RFC 3339 UTF-8 bytes straight into a buffer, remembering the last day's
/// date, so that a history of samples from the same day formats only each time of day. The API
/// writes 1,440 of these per 24-hour history.
public struct RFC3339Writer {
    /// The longest output: `2026-11-25T23:21:00.850087Z`.
    public static let maximumLength = 27

    private var cachedDay = Int64.min
    /// `YYYY-MM-DD` of `cachedDay`, packed little-endian.
    private var datePrefix: UInt64 = 0
    private var dayDigits: UInt16 = 0

    public init() {}

    /// Writes `microseconds` since 1970 and returns the number of bytes written.
    public mutating func write(_ microseconds: Int64, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let (seconds, micros) = microseconds.floorDivided(by: 1_000_000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        if days != cachedDay { cacheDate(of: days) }
        UnsafeMutableRawPointer(output).storeBytes(of: datePrefix, as: UInt64.self)
        UnsafeMutableRawPointer(output + 8).storeBytes(of: dayDigits, as: UInt16.self)
        output[10] = UInt8(ascii: "T")
        writePair(secondOfDay / 3600, to: output + 11)
        output[13] = UInt8(ascii: ":")
        writePair(secondOfDay % 3600 / 60, to: output + 14)
        output[16] = UInt8(ascii: ":")
        writePair(secondOfDay % 60, to: output + 17)
        var length = 19
        if micros != 0 {
            output[19] = UInt8(ascii: ".")
            var remaining = micros
            for index in stride(from: 25, through: 20, by: -1) {
                output[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            length = 26
        }
        output[length] = UInt8(ascii: "Z")
        return length + 1
    }

    private mutating func cacheDate(of days: Int64) {
        cachedDay = days
        let (year, month, day) = CivilCalendar.date(fromDaysSince1970: days)
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { buffer in
            let output = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // Years outside 0...9999 cannot be written in RFC 3339; they are clamped, and the
            // parser never produces them.
            let year = min(max(year, 0), 9999)
            writePair(year / 100, to: output)
            writePair(year % 100, to: output + 2)
            output[4] = UInt8(ascii: "-")
            writePair(month, to: output + 5)
            output[7] = UInt8(ascii: "-")
            writePair(day, to: output + 8)
            datePrefix = buffer.loadUnaligned(as: UInt64.self)
            dayDigits = buffer.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        }
    }
}

@inline(__always)
private func writePair(_ value: Int64, to output: UnsafeMutablePointer<UInt8>) {
    output[0] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10)
    output[1] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
}

/// Formats a `Double` as Python's `repr` does (the shortest text that reads back as the same
/// value, `84682.0` rather than `84682`, exponents as `1e-05` and `1e+16`), straight into a buffer.
///
/// Swift's `description` gives the same digits but differs in form for whole numbers from 2^53 to
/// 10^16 (`9.1e+15` where Python writes `9100000000000000.0`), and costs a string per value.
public enum PythonFloat {
    /// The longest output: `-2.2250738585072014e-308`.
    public static let maximumLength = 32

    /// Writes a finite `value` and returns the number of bytes written.
    public static func write(_ value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = value.magnitude
        if magnitude >= 1e-4, magnitude < 1e16 {
            if value.rounded(.towardZero) == value {
                return writeFixed(value.magnitude, negative: value < 0, places: 0, to: output)
            }
            // Prices and volumes mostly have few decimal places; then the fixed-point text with
            // that many places is the shortest one. Two places, the most common, has its own path.
            let cents = (value * 100).rounded()
            if cents.magnitude < 0x1p50, cents / 100 == value {
                return writeCents(UInt64(cents.magnitude), negative: cents < 0, to: output)
            }
            if let length = writeFixed(value, places: 4, scale: 1e4, to: output) { return length }
            if let length = writeFixed(value, places: 8, scale: 1e8, to: output) { return length }
        }
        var text = value.description
        return text.withUTF8 { utf8 in
            output.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    /// `cents / 100` with one or two decimals, by constant divisions only.
    private static func writeCents(_ cents: UInt64, negative: Bool, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 0
        if negative {
            output[0] = UInt8(ascii: "-")
            length = 1
        }
        length += writeDigits(cents / 100, minimumCount: 1, to: output + length)
        let fraction = cents % 100
        output[length] = UInt8(ascii: ".")
        output[length + 1] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / 10)
        if fraction % 10 == 0 { return length + 2 }
        output[length + 2] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction % 10)
        return length + 3
    }

    private static func writeFixed(_ value: Double, places: Int, scale: Double, to output: UnsafeMutablePointer<UInt8>) -> Int? {
        let scaled = (value * scale).rounded()
        // Exact when `scaled` is below 2^50: decimal texts with `places` places are then further
        // apart than the doubles near `value`, so the one that reads back as `value` is the only
        // one, and with trailing zeros dropped it is the shortest.
        guard scaled.magnitude < 0x1p50, scaled / scale == value else { return nil }
        return writeFixed(scaled.magnitude, negative: scaled < 0, places: places, to: output)
    }

    /// Writes `units / 10^places` in fixed point, dropping trailing zeros but keeping one digit
    /// after the point.
    private static func writeFixed(_ units: Double, negative: Bool, places: Int, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 0
        if negative {
            output[0] = UInt8(ascii: "-")
            length = 1
        }
        var divisor: UInt64 = 1
        for _ in 0..<places { divisor *= 10 }
        let units = UInt64(units)
        length += writeDigits(units / divisor, minimumCount: 1, to: output + length)
        output[length] = UInt8(ascii: ".")
        length += 1
        var fraction = units % divisor
        var count = places
        while count > 1, fraction % 10 == 0 {
            fraction /= 10
            count -= 1
        }
        length += writeDigits(fraction, minimumCount: max(count, 1), to: output + length)
        return length
    }

    /// Writes `value` in decimal, zero-padded to `minimumCount` digits: the digits are written
    /// from the last, dividing by the constant 10, which compiles to a multiplication.
    private static func writeDigits(_ value: UInt64, minimumCount: Int, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 1
        var bound: UInt64 = 10
        while value >= bound, count < 19 {
            bound &*= 10
            count += 1
        }
        if value >= bound { count = 20 }
        let length = max(count, minimumCount)
        var remaining = value
        var index = length
        while index > 0 {
            index -= 1
            output[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
        return length
    }
}
