import Hummingbird
import MetricsCore

/// Writes the API's JSON bodies by hand, as UTF-8 bytes, in the original's conventions: keys in
/// sorted order (Flask's `jsonify` sorted them), `null` written out, and floating-point values
/// always with a fraction or exponent (`84682.0`, not `84682`), so that a Python client gets a
/// `float` where the original gave one, formatted as Python's `repr` (``PythonFloat``).
///
/// Each body writes its keys itself, in order; ``JSONWriter`` only formats values. It writes bytes
/// straight into the response's buffer: a 24-hour history is 1,440 timestamps and values, written
/// per request.
struct JSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    var text: String { String(buffer: buffer) }

    mutating func raw(_ fragment: StaticString) {
        buffer.writeStaticString(fragment)
    }

    /// `"key":`, for a key that needs no escaping.
    mutating func key(_ name: StaticString) {
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
    }

    /// JSON this program wrote itself (a rule's canonical form), copied as it is.
    mutating func json(_ fragment: String) {
        buffer.writeString(fragment)
    }

    mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            buffer.writeString(value)
            buffer.writeInteger(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                raw("\\u00")
                buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                buffer.writeInteger(hex.utf8Start[Int(byte & 0xF)])
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func integer(_ value: some BinaryInteger) {
        buffer.writeString(String(value))
    }

    /// A finite number as Python writes a float; `null` for a non-finite one, which JSON cannot hold.
    mutating func float(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        write(maximumLength: PythonFloat.maximumLength) { PythonFloat.write(value, to: $0) }
    }

    mutating func optionalFloat(_ value: Double?) {
        if let value { float(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func optionalTimestamp(_ value: Timestamp?) {
        if let value { timestamp(value.microsecondsSince1970) } else { raw("null") }
    }

    mutating func timestamp(_ microseconds: Int64) {
        var writer = RFC3339Writer()
        write(maximumLength: RFC3339Writer.maximumLength + 2) { output in
            output[0] = UInt8(ascii: "\"")
            let length = writer.write(microseconds, to: output + 1)
            output[length + 1] = UInt8(ascii: "\"")
            return length + 2
        }
    }

    /// Samples as `{"timestamp":"…","value":…}` objects separated by commas: the bulk of every
    /// history, written in one pass over one reserved stretch of the buffer, with the date
    /// formatted once per day.
    mutating func samples(_ history: SampleHistory, offsets: some Collection<Int>) {
        let opening: StaticString = "{\"timestamp\":\""
        let middle: StaticString = "\",\"value\":"
        let perSample =
            1 + opening.utf8CodeUnitCount + RFC3339Writer.maximumLength + middle.utf8CodeUnitCount + PythonFloat.maximumLength + 1
        write(maximumLength: perSample * offsets.count) { output in
            var dates = RFC3339Writer()
            var length = 0
            let timestamps = history.timestamps
            let values = history.values
            for offset in offsets {
                if length > 0 {
                    output[length] = UInt8(ascii: ",")
                    length += 1
                }
                (output + length).update(from: opening.utf8Start, count: opening.utf8CodeUnitCount)
                length += opening.utf8CodeUnitCount
                length += dates.write(timestamps[timestamps.startIndex + offset], to: output + length)
                (output + length).update(from: middle.utf8Start, count: middle.utf8CodeUnitCount)
                length += middle.utf8CodeUnitCount
                let value = values[values.startIndex + offset]
                if value.isFinite {
                    length += PythonFloat.write(value, to: output + length)
                } else {
                    (output + length).update(from: StaticString("null").utf8Start, count: 4)
                    length += 4
                }
                output[length] = UInt8(ascii: "}")
                length += 1
            }
            return length
        }
    }

    /// Lets `body` write up to `maximumLength` bytes straight into the buffer; it returns how many
    /// it wrote.
    private mutating func write(maximumLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximumLength) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}

/// A response body the API writes with ``JSONWriter``.
protocol JSONBodyWritable {
    func write(to json: inout JSONWriter)
}
