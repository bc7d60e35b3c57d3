// Fuzzes DecimalText.parse, which reads every number of a CSV import, of the config file and of the
// exchanges' decimal strings, and PythonFloat.write, which writes every value the API answers.
//
// Promises checked (DecimalText.swift, TextFormatting.swift):
// - a plain decimal number (sign, digits with at most one point, optional exponent) is read
//   "correctly rounded to the nearest Double": the same as the standard library's `Double(_:)`,
//   which is (for out-of-range exponents both give ±infinity);
// - anything else is nil, "including nan, inf and hexadecimal forms that Double(_:) would accept";
// - the String overload agrees with the bytes one;
// - a finite value written by PythonFloat ("the shortest text that reads back as the same value",
//   as Python's repr) fits `maximumLength` bytes, reads back as the same value, always has a
//   fraction or an exponent, and is exactly what Python's repr writes (computed below from Swift's
//   shortest digits with Python's rules: exponent form when the decimal point is at −4 or before,
//   or after 16 digits).
import MetricsCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecimal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let value = DecimalText.parse(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    let viaString = DecimalText.parse(text)
    if String(validating: bytes, as: UTF8.self) != nil {
        invariant(same(value, viaString), "bytes give \(String(describing: value)), the String overload \(String(describing: viaString)) for \(shown(bytes))")
    }

    if isPlainDecimal(bytes) {
        let reference = Double(text)
        invariant(
            same(value, reference),
            "\(shown(bytes)) reads as \(String(describing: value)); Double(_:) reads \(String(describing: reference))")
    } else {
        invariant(value == nil, "\(shown(bytes)) is no plain decimal number but reads as \(value!)")
    }

    if let value, value.isFinite {
        checkPythonFloat(value)
    }
    // Any 8 bytes are also a Double to write: PythonFloat sees every value the statistics make,
    // not only those a text spells.
    if size == 8 {
        let raw = Double(bitPattern: UnsafeRawPointer(data!).loadUnaligned(as: UInt64.self))
        if raw.isFinite { checkPythonFloat(raw) }
    }
    return 0
}

private func same(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): a == b || (a.isNaN && b.isNaN)
    default: false
    }
}

/// `[+-]? digits-with-at-most-one-point ([eE] [+-]? digits)?`, with at least one digit before any
/// exponent: the numbers DecimalText documents reading.
private func isPlainDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var index = 0
    if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
    var digits = 0
    var points = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            digits += 1
        } else if byte == UInt8(ascii: ".") {
            points += 1
            if points > 1 { return false }
        } else {
            break
        }
        index += 1
    }
    guard digits > 0 else { return false }
    if index == bytes.count { return true }
    guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return false }
    index += 1
    if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count else { return false }
    return bytes[index...].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
}

private func checkPythonFloat(_ value: Double) {
    // Exactly the documented room, so that AddressSanitizer sees a byte written past it.
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: PythonFloat.maximumLength)
    defer { buffer.deallocate() }
    let length = PythonFloat.write(value, to: buffer)
    invariant(length > 0 && length <= PythonFloat.maximumLength, "PythonFloat wrote \(length) bytes for \(value)")
    let written = UnsafeBufferPointer(start: buffer, count: length)
    let text = String(decoding: written, as: UTF8.self)
    invariant(DecimalText.parse(written) == value, "PythonFloat wrote \(text) for \(value), which reads back as \(String(describing: DecimalText.parse(written)))")
    invariant(text.contains(".") || text.contains("e"), "PythonFloat wrote \(text) for \(value): a float must show a fraction or exponent")
    let expected = pythonRepr(value)
    invariant(text == expected, "PythonFloat wrote \(text) for \(value) (bits \(String(value.bitPattern, radix: 16))); Python's repr is \(expected)")
}

/// Python's `repr(float)` for a finite value: the shortest round-tripping digits (taken from
/// Swift's `description`, which are the same shortest digits), in fixed notation with at least one
/// digit after the point when −4 < decimal point position ≤ 16, else `d.ddde±XX`.
func pythonRepr(_ value: Double) -> String {
    let negative = value.sign == .minus
    var description = value.magnitude.description
    // Swift: "1234.5", "0.001", "1e-05", "1.2345e+16", "5e-324".
    var exponent = 0
    if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(description[description.index(after: e)...])!
        description = String(description[..<e])
    }
    let parts = description.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0])
    let fractionPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fractionPart
    // Position of the decimal point relative to the start of `digits`.
    var point = integerPart.count + exponent
    while digits.hasPrefix("0"), digits.count > 1 {
        digits.removeFirst()
        point -= 1
    }
    while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
    let sign = negative ? "-" : ""
    if digits == "0" { return sign + "0.0" }
    if point <= -4 || point > 16 {
        let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
        let e = point - 1
        let magnitude = String(abs(e))
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" + magnitude : magnitude)
    }
    if point <= 0 {
        return sign + "0." + String(repeating: "0", count: -point) + digits
    }
    if point >= digits.count {
        return sign + digits + String(repeating: "0", count: point - digits.count) + ".0"
    }
    let index = digits.index(digits.startIndex, offsetBy: point)
    return sign + digits[..<index] + "." + digits[index...]
}
