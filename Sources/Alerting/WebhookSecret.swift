import Crypto
import Foundation

/// A subscription's signing secret and the signatures it makes, as the Standard Webhooks
/// specification defines them, so that receivers can verify with any of its libraries.
///
/// The secret is `whsec_` and the base64 of 24 random bytes. A webhook carries three headers:
/// `webhook-id` (the event's id, the same on every retry), `webhook-timestamp` (Unix seconds) and
/// `webhook-signature`: `v1,` and the base64 of HMAC-SHA256, keyed with the secret's bytes, of
/// `{id}.{timestamp}.{body}`. A receiver recomputes it over the raw body, compares in constant
/// time, and refuses a timestamp far from its clock so that a captured request cannot be replayed.
public struct WebhookSecret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let prefix = "whsec_"
    /// How far from the receiver's clock a timestamp may be, in seconds: the specification's
    /// libraries use five minutes.
    public static let defaultTolerance: Int64 = 300

    public let text: String
    private let key: [UInt8]

    /// A new secret from the system's cryptographic random source.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSecret(key: bytes)
    }

    /// A secret as stored or shown: `nil` unless it is `whsec_` and base64 of at least 16 bytes.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))), data.count >= 16
        else { return nil }
        self.text = text
        key = Array(data)
    }

    private init(key: [UInt8]) {
        self.key = key
        text = Self.prefix + Data(key).base64EncodedString()
    }

    /// The `webhook-signature` header's value for one delivery.
    public func signature(id: String, timestamp: Int64, body: some Collection<UInt8>) -> String {
        "v1," + Data(mac(id: id, timestamp: timestamp, body: body)).base64EncodedString()
    }

    /// What a receiver does: whether `signatures` (the header, which may hold several
    /// space-separated signatures while a secret is being rotated) holds a valid one for this id,
    /// timestamp and raw body, with the timestamp within `tolerance` seconds of `now`.
    public func verify(
        id: String, timestamp: Int64, body: some Collection<UInt8>, signatures: String, now: Int64,
        tolerance: Int64 = defaultTolerance
    ) -> Bool {
        guard abs(now - timestamp) <= tolerance else { return false }
        let expected = mac(id: id, timestamp: timestamp, body: body)
        for candidate in signatures.split(separator: " ") {
            guard candidate.hasPrefix("v1,"), let given = Data(base64Encoded: String(candidate.dropFirst(3))) else { continue }
            // Constant time: how many leading bytes match must not show in how long this takes.
            if given.count == expected.count, zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return true }
        }
        return false
    }

    private func mac(id: String, timestamp: Int64, body: some Collection<UInt8>) -> [UInt8] {
        var authenticator = HMAC<SHA256>(key: SymmetricKey(data: key))
        authenticator.update(data: Array("\(id).\(timestamp).".utf8))
        authenticator.update(data: Array(body))
        return Array(authenticator.finalize())
    }

    /// Hidden, so that a secret logged, printed or dumped by mistake is not leaked.
    public var description: String { "\(Self.prefix)…" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
