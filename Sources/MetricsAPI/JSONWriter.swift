/// Writes the API's JSON bodies by hand, in the original's conventions: keys in sorted order (Flask's
/// `jsonify` sorted them), `null` written out, and floating-point values always with a fraction or
/// exponent (`84682.0`, not `84682`), so that a Python client gets a `float` where the original gave
/// one. Swift's shortest round-trip formatting of a `Double` matches Python's `repr` for the values
/// served here.
///
/// Each body writes its keys itself, in order; ``JSONWriter`` only formats values.
struct JSONWriter {
    private(set) var text = ""

    init(capacity: Int = 256) {
        text.reserveCapacity(capacity)
    }

    mutating func raw(_ fragment: String) {
        text += fragment
    }

    /// `"key":`, for a key that needs no escaping.
    mutating func key(_ name: StaticString) {
        text += "\""
        text += name.description
        text += "\":"
    }

    mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    mutating func integer(_ value: Int64) {
        text += String(value)
    }

    /// A finite number as Python writes a float; `null` for a non-finite one, which JSON cannot hold.
    mutating func float(_ value: Double) {
        text += value.isFinite ? value.description : "null"
    }

    mutating func optionalFloat(_ value: Double?) {
        if let value { float(value) } else { text += "null" }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { text += "null" }
    }
}

/// A response body the API writes with ``JSONWriter``.
protocol JSONBodyWritable {
    func write(to json: inout JSONWriter)
}
