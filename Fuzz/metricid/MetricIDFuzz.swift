// Fuzzes MetricID (Sources/MetricsAPI/MetricID.swift, compiled into this harness with a stand-in
// for APIError), which reads the `{id}` of `GET /metrics/{id}`, after the percent-decoding that
// MetricsController.detail applies (`removingPercentEncoding`).
//
// Promises checked (MetricID.swift): "surrounding whitespace, a sign, leading zeros and underscores
// between digits are accepted; anything else is the original's 400" (checked against an
// independent reading of that grammar over ASCII digits); `canonical` is the integer as Python
// prints it (no leading zeros, no `-0`); `value` is that integer, or nil beyond 64 bits; reading
// `canonical` again gives the same id.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMetricID(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    check(raw)
    // As MetricsController.detail reads the path segment.
    if let decoded = raw.removingPercentEncoding, decoded != raw { check(decoded) }
    return 0
}

private func check(_ text: String) {
    let id: MetricID
    do {
        id = try MetricID(text)
    } catch {
        invariant(reference(text) == nil, "\(text.debugDescription) is refused, but the grammar reads it as \(reference(text)!)")
        invariant(error.description.utf8.starts(with: "Invalid metric ID: \"".utf8), "unexpected refusal \(error)")
        return
    }
    let expected = reference(text)
    invariant(expected == id.canonical, "\(text.debugDescription) reads as \(id.canonical); the grammar says \(String(describing: expected))")
    invariant(id.value == Int64(id.canonical), "value \(String(describing: id.value)) for canonical \(id.canonical)")
    let again = try? MetricID(id.canonical)
    invariant(again?.canonical == id.canonical && again?.value == id.value, "canonical \(id.canonical) does not read back")
}

/// The integer `text` names as Python's `int()` reads ASCII digits, written without leading zeros,
/// or nil: optional whitespace, an optional sign, digits with single underscores between them.
private func reference(_ text: String) -> String? {
    let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
    var characters = Array(body)
    var negative = false
    if let first = characters.first, first == "+" || first == "-" {
        negative = first == "-"
        characters.removeFirst()
    }
    var digits = ""
    var previousWasDigit = false
    for character in characters {
        if character.isASCII, let ascii = character.asciiValue, (48...57).contains(ascii) {
            digits.append(character)
            previousWasDigit = true
        } else if character == "_", previousWasDigit {
            previousWasDigit = false
        } else {
            return nil
        }
    }
    guard previousWasDigit else { return nil }
    let significant = digits.drop { $0 == "0" }
    return significant.isEmpty ? "0" : (negative ? "-" : "") + significant
}
