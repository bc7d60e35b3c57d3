/// Decimal numbers as exchanges and CSV files write them (`"2619.80000"`, `84682`, `1e-8`).
public enum DecimalText {
    /// Parses a plain decimal number, correctly rounded to the nearest `Double`.
    ///
    /// The common case (at most 15 significant digits, at most 22 decimal places) is one exact
    /// integer divided by an exact power of ten, which IEEE 754 rounds correctly; anything else
    /// goes through the standard library's parser. Returns `nil` for anything that is not a number,
    /// including `nan`, `inf` and hexadecimal forms that `Double(_:)` would accept.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawPoint = false
        var sawDigit = false
        var simple = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                sawDigit = true
                if mantissa != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                if digits > 15 { simple = false }
                mantissa = mantissa &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                simple = false
                guard sawDigit, validExponent(UnsafeBufferPointer(rebasing: bytes[(index + 1)...])) else { return nil }
                break
            } else {
                return nil
            }
            index += 1
        }
        guard sawDigit else { return nil }
        if simple, fractionDigits <= 22 {
            let value = Double(mantissa) / powersOfTen[fractionDigits]
            return negative ? -value : value
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    public static func parse(_ text: some StringProtocol) -> Double? {
        var text = String(text)
        return text.withUTF8 { parse($0) }
    }

    private static func validExponent(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard index < bytes.count else { return false }
        return bytes[index...].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }
}
