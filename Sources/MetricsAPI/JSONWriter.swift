import MetricsCore

/// Writes the API's JSON bodies by hand, as UTF-8 bytes, in the original's conventions: keys in
/// sorted order (Flask's `jsonify` sorted them), `null` written out, and floating-point values
/// always with a fraction or exponent (`84682.0`, not `84682`), so that a Python client gets a
/// `float` where the original gave one. Swift's shortest round-trip formatting of a `Double`
/// matches Python's `repr` for the values served here.
///
/// Each body writes its keys itself, in order; ``JSONWriter`` only formats values. Bytes rather
/// than a `String`: a 24-hour history is 1,440 timestamps and values, written per request.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ fragment: StaticString) {
        fragment.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `"key":`, for a key that needs no escaping.
    mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer(_ value: some BinaryInteger) {
        var text = String(value)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A finite number as Python writes a float; `null` for a non-finite one, which JSON cannot hold.
    mutating func float(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func optionalFloat(_ value: Double?) {
        if let value { float(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func timestamp(_ microseconds: Int64) {
        bytes.append(UInt8(ascii: "\""))
        Timestamp(microsecondsSince1970: microseconds).appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A response body the API writes with ``JSONWriter``.
protocol JSONBodyWritable {
    func write(to json: inout JSONWriter)
}
