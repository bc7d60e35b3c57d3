import MetricsCore
import Testing

@testable import MetricsStore

/// API keys behave alike on every store: only a hash is kept, names are unique for good, and a
/// revoked key opens nothing.
@Suite struct APIKeyStoreTests {
    let now = try! Timestamp(rfc3339: "2026-12-03T08:00:00Z")

    @Test(arguments: StoreKind.available)
    func keysAreFoundByTheirSecretsHashUntilRevoked(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let keys = try #require(store as? any APIKeyStore)
            let ci = APIKeySecret.generate()
            let other = APIKeySecret.generate()
            #expect(ci != other)
            let created = try await keys.createKey(name: "ci", hash: ci.hash, at: now)
            _ = try await keys.createKey(name: "dash.board_2", hash: other.hash, at: now)
            #expect(created.name == "ci" && created.isActive && created.createdAt == now)

            #expect(try await keys.activeKey(hash: ci.hash)?.id == created.id)
            #expect(try await keys.activeKey(hash: APIKeySecret.generate().hash) == nil)
            #expect(try await keys.keys().map(\.name) == ["ci", "dash.board_2"])

            await #expect(throws: APIKeyError.nameTaken("ci")) {
                try await keys.createKey(name: "ci", hash: APIKeySecret.generate().hash, at: now)
            }
            await #expect(throws: APIKeyError.invalidName("no spaces")) {
                try await keys.createKey(name: "no spaces", hash: APIKeySecret.generate().hash, at: now)
            }

            let later = now.adding(seconds: 60)
            let revoked = try await keys.revokeKey(named: "ci", at: later)
            #expect(revoked?.revokedAt == later)
            #expect(try await keys.activeKey(hash: ci.hash) == nil, "a revoked key opens nothing")
            #expect(try await keys.revokeKey(named: "ci", at: later) == nil, "revoked already")
            #expect(try await keys.revokeKey(named: "nobody", at: later) == nil)
            #expect(try await keys.keys().map(\.isActive) == [false, true], "a revoked key is still listed")
            await #expect(throws: APIKeyError.nameTaken("ci"), "a revoked key's name stays taken") {
                try await keys.createKey(name: "ci", hash: APIKeySecret.generate().hash, at: later)
            }
        }
    }

    @Test func aSecretHasOneShapeAndHidesItselfFromLogs() throws {
        let secret = APIKeySecret.generate()
        #expect(secret.text.hasPrefix("cmk_") && secret.text.utf8.count == 47)
        #expect(APIKeySecret(presented: secret.text) == secret)
        #expect(APIKeySecret(presented: "cmk_short") == nil)
        #expect(APIKeySecret(presented: "xyz_" + secret.text.dropFirst(4)) == nil)
        #expect(APIKeySecret(presented: secret.text.dropLast() + "!") == nil)
        #expect("\(secret)" == "cmk_…" && String(reflecting: secret) == "cmk_…")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(secret.text))
        // SHA-256 of the text, in hex: the published test vector for "abc" (FIPS 180-2).
        #expect(APIKeySecret.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(secret.hash == APIKeySecret.sha256Hex(secret.text))
        #expect(Base64URL.encode(Array("abc".utf8)) == "YWJj" && Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }
}
