import Crypto
import Foundation
import MetricsCore

/// An API key as the store keeps it: its name and when it was made and revoked. The secret itself
/// is never stored, only its SHA-256 (see ``APIKeySecret``).
public struct APIKey: Hashable, Sendable {
    public let id: Int64
    public let name: String
    public let createdAt: Timestamp
    public let revokedAt: Timestamp?

    public init(id: Int64, name: String, createdAt: Timestamp, revokedAt: Timestamp?) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// Whether the key still opens write endpoints.
    public var isActive: Bool { revokedAt == nil }

    /// A name people can type and scripts can pass: 1 to 64 letters, digits, `.`, `_` or `-`.
    public static func validate(name: String) throws(APIKeyError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard (1...64).contains(name.utf8.count), allowed else {
            throw .invalidName(name)
        }
    }
}

/// The secret of an API key: `cmk_` and 43 characters of base64url, 256 random bits.
///
/// Only its SHA-256 is stored. A fast hash is enough: the secret is random and long, so there is
/// nothing to guess from the hash, unlike a password.
public struct APIKeySecret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let prefix = "cmk_"
    public let text: String

    /// A new secret from the system's cryptographic random source.
    public static func generate() -> APIKeySecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return APIKeySecret(unchecked: prefix + Base64URL.encode(bytes))
    }

    /// A secret as a client presents it, `nil` when it does not have the shape of one.
    public init?(presented text: some StringProtocol) {
        guard text.utf8.count == Self.prefix.utf8.count + 43, text.hasPrefix(Self.prefix),
            text.utf8.dropFirst(Self.prefix.utf8.count).allSatisfy(Base64URL.isAlphabet)
        else { return nil }
        self.text = String(text)
    }

    private init(unchecked text: String) {
        self.text = text
    }

    /// The SHA-256 of the secret, in lowercase hex: what the store keeps and looks keys up by.
    public var hash: String { Self.sha256Hex(text) }

    static func sha256Hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in SHA256.hash(data: Array(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Hidden, so that a key logged, printed or dumped by mistake is not leaked.
    public var description: String { "\(Self.prefix)…" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Where API keys are kept: the same database as the samples, so that every instance on it knows
/// every key. Each store implements it and passes the same conformance suite.
public protocol APIKeyStore: Sendable {
    /// Keeps a new key under `name`, which no other key (revoked or not) has.
    func createKey(name: String, hash: String, at time: Timestamp) async throws -> APIKey

    /// Every key, revoked ones included, ascending by id.
    func keys() async throws -> [APIKey]

    /// Revokes the active key named `name`; returns it, or `nil` when there is none.
    func revokeKey(named name: String, at time: Timestamp) async throws -> APIKey?

    /// The active key whose secret hashes to `hash`.
    func activeKey(hash: String) async throws -> APIKey?
}

public enum APIKeyError: Error, Hashable, CustomStringConvertible {
    case invalidName(String)
    case nameTaken(String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "invalid key name \"\(name)\": use 1 to 64 letters, digits, '.', '_' or '-'"
        case .nameTaken(let name):
            "a key named \"\(name)\" exists already (revoked keys keep their names); choose another name"
        }
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648, section 5): Foundation's base64
/// with two letters swapped.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
