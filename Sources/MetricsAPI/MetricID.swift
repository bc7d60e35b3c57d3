import Foundation

/// A metric id read from the path the way the original read it (Python's `int()`): surrounding
/// whitespace, a sign, leading zeros and underscores between digits are accepted; anything else is
/// the original's 400.
struct MetricID {
    /// The id, or `nil` for an integer no metric can have (beyond 64 bits).
    let value: Int64?
    /// The integer as the original printed it in its 404 (`007` → `7`).
    let canonical: String

    init(_ text: String) throws(APIError) {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let isDigit = { (character: Character) in character.isASCII && character.isNumber }
        guard let first = body.first, let last = body.last, isDigit(first), isDigit(last),
            body.allSatisfy({ isDigit($0) || $0 == "_" }), !body.contains("__")
        else {
            throw APIError.invalidMetricID(text)
        }
        let digits = body.filter(isDigit).drop { $0 == "0" }
        canonical = digits.isEmpty ? "0" : (negative ? "-" : "") + digits
        value = Int64(canonical)
    }
}
