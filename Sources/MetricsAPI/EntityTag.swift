import Hummingbird

/// Strong entity tags from a response's bytes, so that every instance behind a load balancer
/// tags the same answer alike and a client's `If-None-Match` gets a `304` from any of them.
enum EntityTag {
    /// A quoted 64-bit hash of `bytes`: eight bytes at a time with a multiply-rotate mix, since it
    /// runs over every rendered history (about 75 KB for 24 hours).
    static func of(_ bytes: ByteBuffer) -> String {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.readableBytes)
        bytes.withUnsafeReadableBytes { buffer in
            var offset = 0
            while offset + 8 <= buffer.count {
                let word = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                hash = mix(hash ^ word)
                offset += 8
            }
            var tail: UInt64 = 0
            for index in offset..<buffer.count { tail = tail << 8 | UInt64(buffer[index]) }
            hash = mix(hash ^ tail)
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value &* 0xFF51_AFD7_ED55_8CCD
        return (product ^ (product >> 29)) &* 0xC4CE_B9FE_1A85_EC53 ^ (product >> 32)
    }

    /// Whether `If-None-Match` names `tag` (or is `*`), comparing weakly as RFC 9110 asks.
    static func request(_ request: Request, matches tag: String) -> Bool {
        for field in request.headers[values: .ifNoneMatch] {
            for candidate in field.split(separator: ",") {
                var candidate = candidate.trimmingPrefix(while: \.isWhitespace)
                while candidate.last?.isWhitespace == true { candidate = candidate.dropLast() }
                if candidate == "*" { return true }
                if candidate.hasPrefix("W/") { candidate = candidate.dropFirst(2) }
                if candidate == tag { return true }
            }
        }
        return false
    }
}
