// Fuzzes JSONParser, which reads every exchange's answer, every subscription body and the config
// file.
//
// Promises checked (JSONParser.swift, JSONValue.swift):
// - it never crashes, whatever the bytes; nesting deeper than `maximumDepth` is refused;
// - what it accepts, written back as JSON (the canonical writer below; the product's JSONWriter
//   lives in MetricsAPI and needs NIO), reads back as the same value (`1e999` stands for the
//   infinity the parser keeps for out-of-range numbers);
// - "readsWhatFoundationReads" (JSONParserTests): a document both this parser and Foundation's
//   JSONDecoder read is read as the same value (numbers correctly rounded, escapes decoded alike).
//   Not the other way round: Foundation also reads what is not JSON (`[1,]`), which this parser
//   rightly refuses. Inputs where the two may differ are left out (invalid UTF-8, which this parser
//   replaces; a byte order mark or UTF-16, which Foundation detects; a member name given twice).
import Foundation
import MetricsCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parsed: JSONValue
    do {
        parsed = try JSONParser.parse(bytes)
    } catch {
        invariant(error.offset >= 0 && error.offset <= size, "failure offset \(error.offset) outside a \(size)-byte input")
        return 0
    }
    invariant(depth(of: parsed) <= JSONParser.maximumDepth, "accepted nesting deeper than \(JSONParser.maximumDepth)")

    let written = canonical(parsed)
    let reread: JSONValue
    do {
        reread = try JSONParser.parse(Array(written.utf8))
    } catch {
        fatalError("invariant violated: written back as \(written.prefix(300)), it does not parse: \(error)")
    }
    invariant(reread == parsed, "parse → write → parse differs: \(shown(bytes)) wrote \(written.prefix(300))")
    invariant(canonical(reread) == written, "writing is not stable for \(shown(bytes))")
    compareWithFoundation(bytes, ours: parsed)
    return 0
}

/// JSON text for a value: object members in sorted order, strings escaped as RFC 8259 requires,
/// numbers as Swift's shortest round-tripping text (`1e999` for infinity).
func canonical(_ value: JSONValue) -> String {
    var out = ""
    write(value, to: &out)
    return out
}

private func write(_ value: JSONValue, to out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let flag): out += flag ? "true" : "false"
    case .number(let number):
        if number.isInfinite {
            out += number < 0 ? "-1e999" : "1e999"
        } else {
            precondition(!number.isNaN, "JSON has no NaN")
            out += "\(number)"
        }
    case .string(let text): writeString(text, to: &out)
    case .array(let elements):
        out += "["
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            write(element, to: &out)
        }
        out += "]"
    case .object(let members):
        out += "{"
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            writeString(key, to: &out)
            out += ":"
            write(members[key]!, to: &out)
        }
        out += "}"
    }
}

private func writeString(_ text: String, to out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

private func depth(of value: JSONValue) -> Int {
    switch value {
    case .array(let elements): 1 + (elements.map(depth(of:)).max() ?? 0)
    case .object(let members): 1 + (members.values.map(depth(of:)).max() ?? 0)
    default: 1
    }
}

/// Foundation's JSONDecoder into JSONValue, as JSONParserTests decodes it: the reference.
private struct Reference: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            value = .number(number)
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let array = try? container.decode([Reference].self) {
            value = .array(array.map(\.value))
        } else {
            value = .object(try container.decode([String: Reference].self).mapValues(\.value))
        }
    }
}

/// Where Foundation reads a document JSONParser read, both must read it the same. Left out: inputs
/// where the two are allowed to differ (invalid UTF-8, which JSONParser replaces; a byte order mark
/// or UTF-16, which Foundation detects; a member name given twice, where the choice is arbitrary).
private func compareWithFoundation(_ bytes: UnsafeBufferPointer<UInt8>, ours: JSONValue) {
    guard String(validating: bytes, as: UTF8.self) != nil, !(bytes.first.map { $0 == 0xEF || $0 == 0xFE || $0 == 0xFF } ?? false),
        !hasRepeatedMemberName(bytes)
    else { return }
    guard let reference = try? JSONDecoder().decode(Reference.self, from: Data(buffer: bytes)) else { return }
    invariant(ours == reference.value, "Foundation reads \(shown(bytes)) as \(canonical(reference.value).prefix(200)), JSONParser as \(canonical(ours).prefix(200))")
}

/// Whether an object in the text may name a member twice (the parsed value keeps only one, so it
/// cannot tell): a tiny tokenizer over the raw bytes, counting any escaped name as a possible repeat.
private func hasRepeatedMemberName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    // A stack of (is object, names seen, expecting a name) per open container.
    var stack: [(isObject: Bool, names: Set<[UInt8]>, expectingName: Bool)] = []
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "{"):
            stack.append((true, [], true))
        case UInt8(ascii: "["):
            stack.append((false, [], false))
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if !stack.isEmpty { stack.removeLast() }
        case UInt8(ascii: ","):
            if !stack.isEmpty, stack[stack.count - 1].isObject { stack[stack.count - 1].expectingName = true }
        case UInt8(ascii: "\""):
            var end = index + 1
            var raw: [UInt8] = []
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                if bytes[end] == UInt8(ascii: "\\"), end + 1 < bytes.count {
                    raw.append(bytes[end])
                    end += 1
                }
                raw.append(bytes[end])
                end += 1
            }
            if !stack.isEmpty, stack[stack.count - 1].isObject, stack[stack.count - 1].expectingName {
                stack[stack.count - 1].expectingName = false
                // Escapes may spell one name two ways: count any escaped name as a repeat risk.
                if raw.contains(UInt8(ascii: "\\")) { return true }
                if !stack[stack.count - 1].names.insert(raw).inserted { return true }
            }
            index = end
        default:
            break
        }
        index += 1
    }
    return false
}
