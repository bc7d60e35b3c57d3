import Hummingbird

/// Strong entity tags from a response's bytes, so that every instance behind a load balancer
/// tags the same answer alike and a client's `If-None-Match` gets a `304` from any of them.
enum EntityTag {
    /// A quoted 64-bit hash of `bytes`: four independent lanes of 8 bytes with a multiply-rotate
    /// mix, since it runs over every rendered history (about 75 KB for 24 hours).
    static func of(_ bytes: ByteBuffer) -> String {
        let hash = bytes.withUnsafeReadableBytes { buffer in
            var lanes: (UInt64, UInt64, UInt64, UInt64) = (
                0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5
            )
            var offset = 0
            while offset + 32 <= buffer.count {
                lanes.0 = round(lanes.0, buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                lanes.1 = round(lanes.1, buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                lanes.2 = round(lanes.2, buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                lanes.3 = round(lanes.3, buffer.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                offset += 32
            }
            var hash = UInt64(buffer.count)
            hash = round(hash, lanes.0)
            hash = round(hash, lanes.1)
            hash = round(hash, lanes.2)
            hash = round(hash, lanes.3)
            while offset < buffer.count {
                hash = round(hash, UInt64(buffer[offset]))
                offset += 1
            }
            return finish(hash)
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    @inline(__always)
    private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        ((lane &+ word &* 0xC2B2_AE3D_27D4_EB4F) <<< 31) &* 0x9E37_79B9_7F4A_7C15
    }

    private static func finish(_ value: UInt64) -> UInt64 {
        var hash = value
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 33)
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

infix operator <<< : BitwiseShiftPrecedence

extension UInt64 {
    /// Rotates left.
    fileprivate static func <<< (value: UInt64, count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
