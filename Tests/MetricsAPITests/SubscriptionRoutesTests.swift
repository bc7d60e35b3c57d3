import Alerting
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore
import Testing

/// `/subscriptions`: a key's own subscriptions, made, listed, changed and deleted, with every
/// malformed request refused in words that say what to fix, and no way into another key's.
@Suite struct SubscriptionRoutesTests {
    private func key(_ harness: APIHarness, _ name: String) async throws -> String {
        let secret = APIKeySecret.generate()
        _ = try await harness.store.createKey(name: name, hash: secret.hash, at: APIHarness.now)
        return secret.text
    }

    private func request(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String?, body: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    private let deviation = #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1:9/hook"}}"#

    @Test func aKeyMakesListsChangesAndDeletesItsOwnSubscriptions() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let alice = try await key(harness, "alice")
            let bob = try await key(harness, "bob")
            try await harness.test { client in
                let made = try await request(client, .post, "/subscriptions", key: alice, body: deviation)
                #expect(made.status == .created, "\(made.text)")
                let body = try made.json
                let id = try #require(body["id"]?.double)
                #expect(made.headers[.location] == "/subscriptions/\(Int(id))")
                #expect(body["metric_id"]?.double == 1 && body["state"]?.string == "ok" && body["paused"] == .bool(false))
                #expect(body["webhook"]?["url"]?.string == "http://127.0.0.1:9/hook")
                #expect(body["rule"]?["kind"]?.string == "deviation" && body["rule"]?["k"]?.double == 3)
                #expect(body["rule"]?["min_samples"]?.double == 10 && body["rule"]?["cooldown_seconds"]?.double == 900)
                let secret = try #require(body["secret"]?.string)
                #expect(WebhookSecret(secret) != nil, "the signing secret: \(secret)")

                let shown = try await request(client, .get, "/subscriptions/\(Int(id))", key: alice)
                #expect(try shown.status == .ok && (shown.json)["secret"] == nil, "the secret is shown once")
                #expect((try shown.json)["id"]?.double == id)

                // Another key sees nothing of it, and cannot touch it.
                for (method, body) in [(HTTPRequest.Method.get, nil), (.patch, #"{"paused": true}"#), (.delete, nil)]
                    as [(HTTPRequest.Method, String?)]
                {
                    let answer = try await request(client, method, "/subscriptions/\(Int(id))", key: bob, body: body)
                    #expect(answer.status == .notFound, "\(method) by another key")
                    #expect((try answer.json)["error"]?.string == "No subscription with ID \(Int(id)) for this key.")
                }
                let bobs = try await request(client, .get, "/subscriptions", key: bob)
                #expect((try bobs.json)["subscriptions"]?.array?.isEmpty == true)

                let paused = try await request(client, .patch, "/subscriptions/\(Int(id))", key: alice, body: #"{"paused": true}"#)
                #expect(try paused.status == .ok && (paused.json)["paused"] == .bool(true), "\(paused.text)")
                let changed = try await request(
                    client, .patch, "/subscriptions/\(Int(id))", key: alice, body: #"{"rule": {"kind": "threshold", "above": 100000}}"#)
                #expect(try (changed.json)["rule"]?["above"]?.double == 100_000 && (changed.json)["paused"] == .bool(true))

                let deleted = try await request(client, .delete, "/subscriptions/\(Int(id))", key: alice)
                #expect(deleted.status == .noContent)
                #expect(try await request(client, .get, "/subscriptions/\(Int(id))", key: alice).status == .notFound)
            }
        }
    }

    @Test func listsArePagedByID() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let alice = try await key(harness, "alice")
            try await harness.test { client in
                for _ in 0..<5 {
                    #expect(try await request(client, .post, "/subscriptions", key: alice, body: deviation).status == .created)
                }
                var ids: [Double] = []
                var after: Double?
                for _ in 0..<4 {
                    let page = try await request(
                        client, .get, "/subscriptions?limit=2" + (after.map { "&after=\(Int($0))" } ?? ""), key: alice)
                    let body = try page.json
                    ids += body["subscriptions"]?.array?.compactMap { $0["id"]?.double } ?? []
                    guard let next = body["next_after"]?.double else { break }
                    after = next
                }
                #expect(ids.count == 5 && ids == ids.sorted() && Set(ids).count == 5)
                let bad = try await request(client, .get, "/subscriptions?limit=0", key: alice)
                #expect(bad.status == .badRequest)
            }
        }
    }

    @Test func aWebhookToAPrivateAddressIsRefusedUnlessAllowed() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let alice = try await key(harness, "alice")
            try await harness.test(allowPrivateTargets: false) { client, _ in
                for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://localhost/"] {
                    let body = #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "\#(url)"}}"#
                    let answer = try await request(client, .post, "/subscriptions", key: alice, body: body)
                    #expect(answer.status == .unprocessableContent, "\(url): \(answer.text)")
                    #expect(
                        try answer.json["error"]?.string?.hasPrefix("webhook.url is not an allowed webhook target") == true,
                        "\(answer.text)")
                }
                let bearer = try await request(client, .get, "/subscriptions", key: nil)
                #expect(bearer.status == .unauthorized)
                var headers: HTTPFields = [:]
                headers[.authorization] = "bearer \(alice)"
                let lowercase = try await client.execute(uri: "/subscriptions", method: .get, headers: headers)
                #expect(lowercase.status == .ok, "the scheme's name is case-insensitive")
            }
        }
    }

    @Test func withoutAnActiveKeyNothingIsAnswered() async throws {
        try await APIHarness.with { harness in
            let alice = try await key(harness, "alice")
            _ = try await harness.store.revokeKey(named: "alice", at: APIHarness.now)
            try await harness.test { client in
                for key in [nil, "cmk_not-a-key", alice, APIKeySecret.generate().text] as [String?] {
                    let answer = try await request(client, .get, "/subscriptions", key: key)
                    #expect(answer.status == .unauthorized)
                    #expect((try answer.json)["error"]?.string?.contains("Authorization: Bearer KEY") == true)
                }
            }
        }
    }

    @Test func malformedRequestsSayWhatToFixAndChangeNothing() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let alice = try await key(harness, "alice")
            try await harness.test { client in
                let cases: [(String, HTTPResponse.Status, String)] = [
                    ("not json", .badRequest, "The body is not valid JSON"),
                    ("[1]", .badRequest, "The body must be a JSON object."),
                    (
                        #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}, "colour": "red"}"#,
                        .badRequest, #"Unknown field "colour""#
                    ),
                    (#"{"rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}}"#, .badRequest, "metric_id is required"),
                    (
                        #"{"metric_id": "1", "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}}"#, .badRequest,
                        "metric_id must be an integer"
                    ),
                    (
                        #"{"metric_id": 9007199254740993, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}}"#,
                        .badRequest, "metric_id must be an integer from 1 to 9007199254740991"
                    ),
                    (#"{"metric_id": 1, "webhook": {"url": "http://127.0.0.1/"}}"#, .badRequest, "rule is required"),
                    (#"{"metric_id": 1, "rule": {"kind": "deviation"}}"#, .badRequest, "webhook is required"),
                    (
                        #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/", "secret": "x"}}"#,
                        .badRequest, #"Unknown field "webhook.secret""#
                    ),
                    (
                        #"{"metric_id": 1, "rule": {"kind": "deviation", "k": 0}, "webhook": {"url": "http://127.0.0.1/"}}"#,
                        .unprocessableContent, "rule.k must be a number above 0"
                    ),
                    (
                        #"{"metric_id": 1, "rule": {"kind": "spike"}, "webhook": {"url": "http://127.0.0.1/"}}"#, .unprocessableContent,
                        "rule.kind must be"
                    ),
                    (
                        #"{"metric_id": 99, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}}"#,
                        .unprocessableContent, "metric_id 99 is no metric"
                    ),
                    (
                        #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "ftp://example.com/"}}"#,
                        .unprocessableContent, "webhook.url must be an https://"
                    ),
                ]
                for (body, status, message) in cases {
                    let answer = try await request(client, .post, "/subscriptions", key: alice, body: body)
                    #expect(answer.status == status, "\(body): \(answer.text)")
                    #expect((try? answer.json)?["error"]?.string?.contains(message) == true, "\(body): \(answer.text)")
                }
                let huge =
                    #"{"metric_id": 1, "rule": {"kind": "deviation"}, "webhook": {"url": "http://127.0.0.1/"}, "pad": ""#
                    + String(repeating: "x", count: 70_000) + #""}"#
                let tooLarge = try await request(client, .post, "/subscriptions", key: alice, body: huge)
                #expect(try tooLarge.status == .contentTooLarge && (tooLarge.json)["error"]?.string?.contains("64 KiB") == true)
                let emptyChange = try await request(client, .patch, "/subscriptions/1", key: alice, body: "{}")
                #expect(emptyChange.status == .badRequest)
                let badID = try await request(client, .get, "/subscriptions/abc", key: alice)
                #expect(badID.status == .badRequest)
                let list = try await request(client, .get, "/subscriptions", key: alice)
                #expect((try list.json)["subscriptions"]?.array?.isEmpty == true, "nothing was made")
            }
        }
    }

    @Test func aKeyPastItsWriteAllowanceGets429WithRetryAfterAndChangesNothing() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let alice = try await key(harness, "alice")
            let bob = try await key(harness, "bob")
            // The clock stands still: nothing refills.
            try await harness.test(writeLimit: WriteRateLimit(perMinute: 30, burst: 3)) { client, _ in
                for _ in 0..<3 {
                    let made = try await request(client, .post, "/subscriptions", key: alice, body: deviation)
                    #expect(made.status == .created, "\(made.text)")
                }
                let refused = try await request(client, .post, "/subscriptions", key: alice, body: deviation)
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] == "2", "one write every 2 s at 30 a minute")
                #expect(try refused.json["error"]?.string?.contains("try again in 2 s") == true, "\(refused.text)")
                // Every kind of write is charged, whether or not it would have worked.
                for (method, uri) in [(HTTPRequest.Method.patch, "/subscriptions/1"), (.delete, "/subscriptions/1")] {
                    let answer = try await request(client, method, uri, key: alice, body: method == .patch ? #"{"paused": true}"# : nil)
                    #expect(answer.status == .tooManyRequests, "\(method)")
                }
                // Reads are not limited, and nothing refused was done.
                for _ in 0..<50 {
                    let list = try await request(client, .get, "/subscriptions", key: alice)
                    #expect(list.status == .ok)
                }
                let list = try await request(client, .get, "/subscriptions", key: alice)
                let subscriptions = try #require(try list.json["subscriptions"]?.array)
                #expect(subscriptions.count == 3 && subscriptions.allSatisfy { $0["paused"] == .bool(false) })
                // Each key has its own allowance.
                let bobs = try await request(client, .post, "/subscriptions", key: bob, body: deviation)
                #expect(bobs.status == .created)
            }
        }
    }
}
