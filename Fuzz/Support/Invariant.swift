// Shared by every harness: a broken promise traps, so that libFuzzer records the input as a crash
// and saves it, with the message saying which promise and for what value.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Traps with `message` unless `condition` holds. Used for what the code under test promises in its
/// doc comments, never for what it is merely expected to do.
///
/// `known` names a finding already reported: `FUZZ_KNOWN=id,id` passes over those, so that one
/// reported bug does not stop every run at the same input and hide whatever else there is.
@inline(never)
func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, known id: String? = nil,
    file: StaticString = #fileID, line: UInt = #line
) {
    if let id, isKnown(id) { return }
    if !condition() { fatalError("invariant violated\(id.map { " [\($0)]" } ?? ""): \(message())", file: file, line: line) }
}

/// Whether `FUZZ_KNOWN` lists the finding `id` (see ``invariant(_:_:known:file:line:)``).
func isKnown(_ id: String) -> Bool { knownFindings.contains(id) }

private let knownFindings: Set<String> = {
    guard let raw = getenv("FUZZ_KNOWN") else { return [] }
    return Set(String(cString: raw).split(separator: ",").map { String($0) })
}()

/// The input as text for messages: printable ASCII as it is, anything else escaped, at most
/// `limit` bytes, so that a trap's message shows the reproducer without the artifact file.
func shown(_ bytes: some Collection<UInt8>, limit: Int = 300) -> String {
    var text = ""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x20..<0x7F where byte != UInt8(ascii: "\\"): text.unicodeScalars.append(Unicode.Scalar(byte))
        case UInt8(ascii: "\\"): text += "\\\\"
        case UInt8(ascii: "\n"): text += "\\n"
        default:
            let hex = Array("0123456789abcdef")
            text += "\\x\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
        }
    }
    return bytes.count > limit ? text + "…(\(bytes.count) bytes)" : text
}
