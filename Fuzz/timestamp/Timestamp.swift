// Fuzzes the RFC 3339 reader (`Timestamp.parse(rfc3339:)`, `Timestamp(rfc3339:)`), which reads CSV
// imports, `?from=`/`?to=` and Coinbase's `time`, and the writers that print every timestamp the
// API answers (`rfc3339`, `RFC3339Writer`).
//
// Promises checked (Timestamp.swift, TextFormatting.swift):
// - it reads exactly `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits kept to the
//   microsecond, and `Z` or a `±HH:MM` offset that is applied (t and z in either case), with a
//   real calendar date (proleptic Gregorian) and hour < 24, minute < 60, second < 60: checked
//   against an independent reading of the same grammar and day count;
// - the bytes and the String forms agree;
// - a timestamp it reads is written as RFC 3339 that reads back as the same instant
//   (`rfc3339`: "the parser never produces" years outside 0...9999, which are clamped);
// - `RFC3339Writer` writes at most `maximumLength` bytes, the same text as `rfc3339`, even with a
//   day cached from the previous call.
import MetricsCore

/// One writer kept across inputs, as the API keeps one per body: its cached day is then whatever
/// the previous input left, which is the case the cache must get right.
nonisolated(unsafe) private var sharedWriter = RFC3339Writer()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parsed = Timestamp.parse(rfc3339: bytes)
    let expected = referenceMicroseconds(bytes)
    invariant(
        parsed?.microsecondsSince1970 == expected,
        "\(shown(bytes)) reads as \(String(describing: parsed?.microsecondsSince1970)) µs; the grammar says \(String(describing: expected))")

    let text = String(decoding: bytes, as: UTF8.self)
    let viaString = try? Timestamp(rfc3339: text)
    if String(validating: bytes, as: UTF8.self) != nil {
        invariant(viaString == parsed, "String form reads \(String(describing: viaString)), bytes \(String(describing: parsed)) for \(shown(bytes))")
    }

    guard let parsed else { return 0 }
    let written = parsed.rfc3339
    let reread = try? Timestamp(rfc3339: written)
    invariant(
        reread == parsed, "\(shown(bytes)) (\(parsed.microsecondsSince1970) µs) is written \(written), which reads back as \(String(describing: reread?.microsecondsSince1970)) µs")

    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: RFC3339Writer.maximumLength)
    defer { buffer.deallocate() }
    for _ in 0..<2 {
        let length = sharedWriter.write(parsed.microsecondsSince1970, to: buffer)
        invariant(length <= RFC3339Writer.maximumLength, "RFC3339Writer wrote \(length) bytes")
        let viaWriter = String(decoding: UnsafeBufferPointer(start: buffer, count: length), as: UTF8.self)
        invariant(viaWriter == written, "RFC3339Writer wrote \(viaWriter), rfc3339 is \(written)")
    }
    return 0
}

/// The instant the grammar gives `bytes`, in µs since 1970, or nil when it is not RFC 3339 as
/// documented: an independent reading (its own day count, by a 400-year shift and the year-length
/// rule) to compare the parser's with.
func referenceMicroseconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    let b = Array(bytes)
    func number(_ range: Range<Int>) -> Int64? {
        guard range.upperBound <= b.count else { return nil }
        var value: Int64 = 0
        for i in range {
            guard (48...57).contains(b[i]) else { return nil }
            value = value * 10 + Int64(b[i] - 48)
        }
        return value
    }
    guard b.count >= 20, let year = number(0..<4), b[4] == 45, let month = number(5..<7), b[7] == 45,
        let day = number(8..<10), b[10] == 84 || b[10] == 116, let hour = number(11..<13), b[13] == 58,
        let minute = number(14..<16), b[16] == 58, let second = number(17..<19)
    else { return nil }
    var index = 19
    var micros: Int64 = 0
    if b[index] == 46 {
        var count = 0
        index += 1
        while index < b.count, (48...57).contains(b[index]) {
            if count < 6 { micros = micros * 10 + Int64(b[index] - 48) }
            count += 1
            index += 1
        }
        guard (1...9).contains(count) else { return nil }
        for _ in min(count, 6)..<6 { micros *= 10 }
    }
    guard index < b.count else { return nil }
    var offset: Int64 = 0
    if b[index] == 90 || b[index] == 122 {
        index += 1
    } else if b[index] == 43 || b[index] == 45 {
        let sign: Int64 = b[index] == 45 ? -1 : 1
        guard let hours = number(index + 1..<index + 3), index + 3 < b.count, b[index + 3] == 58,
            let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
        else { return nil }
        offset = sign * (hours * 3600 + minutes * 60)
        index += 6
    } else {
        return nil
    }
    guard index == b.count else { return nil }
    let leap = { (y: Int64) in y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
    let lengths: [Int64] = [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard (1...12).contains(month), (1...lengths[Int(month) - 1]).contains(day), hour < 24, minute < 60, second < 60 else {
        return nil
    }
    // Days from 0001-01-01 of a date 400 years later (the calendar repeats every 400 years), so that
    // year 0 needs no special case.
    func ordinal(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let shifted = y + 400
        let before = shifted - 1
        var days = before * 365 + before / 4 - before / 100 + before / 400
        for i in 0..<Int(m - 1) { days += [31, leap(shifted) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][i] }
        return days + d - 1
    }
    let days = ordinal(year, month, day) - ordinal(1970, 1, 1)
    let instant = (days * 86_400 + hour * 3600 + minute * 60 + second - offset) * 1_000_000 + micros
    // Only the instants RFC 3339 can write back: 0000-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z.
    let earliest: Int64 = -62_167_219_200_000_000
    let latest: Int64 = 253_402_300_800_000_000 - 1
    return (earliest...latest).contains(instant) ? instant : nil
}
