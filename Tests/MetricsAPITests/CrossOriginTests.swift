import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import Testing

/// CORS: off unless origins are configured; then only those origins' pages may read the API from a
/// browser, and their preflights are answered before routing.
@Suite struct CrossOriginTests {
    private static let dashboard = "https://dash.example.com"

    private func ask(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, origin: String, preflight: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.origin: origin]
        if let preflight { headers[HTTPField.Name("Access-Control-Request-Method")!] = preflight }
        return try await client.execute(uri: uri, method: method, headers: headers)
    }

    private static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    private static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!

    @Test func offByDefault() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await harness.test { client in
                let answer = try await ask(client, .get, "/metrics", origin: Self.dashboard)
                #expect(answer.status == .ok && answer.headers[Self.allowOrigin] == nil)
                let preflight = try await ask(client, .options, "/subscriptions", origin: Self.dashboard, preflight: "POST")
                #expect(preflight.status == .methodNotAllowed && preflight.headers[Self.allowOrigin] == nil)
            }
        }
    }

    @Test func aConfiguredOriginMayCallAndOthersMayNot() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await harness.test(crossOrigin: CrossOriginPolicy(origins: [Self.dashboard])) { client, _ in
                let answer = try await ask(client, .get, "/metrics", origin: Self.dashboard)
                #expect(answer.status == .ok && answer.headers[Self.allowOrigin] == Self.dashboard)
                #expect(answer.headers[.vary] == "Origin")
                // Errors too, so that the page can read what was wrong.
                let missing = try await ask(client, .get, "/metrics/999", origin: Self.dashboard)
                #expect(missing.status == .notFound && missing.headers[Self.allowOrigin] == Self.dashboard)

                let preflight = try await ask(client, .options, "/subscriptions", origin: Self.dashboard, preflight: "POST")
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[Self.allowOrigin] == Self.dashboard)
                #expect(preflight.headers[Self.allowMethods]?.contains("POST") == true)
                #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("Authorization") == true)
                #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Credentials")!] == nil)

                let stranger = try await ask(client, .get, "/metrics", origin: "https://evil.example.net")
                #expect(stranger.status == .ok && stranger.headers[Self.allowOrigin] == nil)
                let strangersPreflight = try await ask(
                    client, .options, "/subscriptions", origin: "https://evil.example.net", preflight: "POST")
                #expect(strangersPreflight.headers[Self.allowOrigin] == nil)
            }
        }
    }

    /// With a list of origins the answer depends on the caller's origin, so every answer says so
    /// (a shared cache must not give a stranger's answer to a listed origin); with `*` none does.
    @Test func answersVaryByOriginOnlyWhenOriginsAreListed() async throws {
        try await APIHarness.with { harness in
            try await harness.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await harness.test(crossOrigin: CrossOriginPolicy(origins: [Self.dashboard])) { client, _ in
                let stranger = try await ask(client, .get, "/metrics", origin: "https://evil.example.net")
                #expect(stranger.headers[values: .vary] == ["Origin"])
                let plain = try await client.execute(uri: "/metrics", method: .get)
                #expect(plain.headers[values: .vary] == ["Origin"])
                let preflight = try await ask(client, .options, "/metrics", origin: Self.dashboard, preflight: "GET")
                #expect(preflight.headers[values: .vary] == ["Origin"])
                // A page revalidating what it holds sends If-None-Match.
                #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("If-None-Match") == true)
            }
            try await harness.test(crossOrigin: CrossOriginPolicy(origins: ["*"])) { client, _ in
                let answer = try await ask(client, .get, "/metrics", origin: Self.dashboard)
                #expect(answer.headers[Self.allowOrigin] == "*")
                #expect(answer.headers[values: .vary].isEmpty)
            }
        }
    }

    @Test func originsAreCheckedAsOrigins() {
        #expect(CrossOriginPolicy.problem(with: "https://dash.example.com") == nil)
        #expect(CrossOriginPolicy.problem(with: "http://127.0.0.1:3000") == nil)
        #expect(CrossOriginPolicy.problem(with: "*") == nil)
        for bad in ["dash.example.com", "https://dash.example.com/", "ftp://x", "https://", "https://a b"] {
            #expect(CrossOriginPolicy.problem(with: bad) != nil, "\(bad)")
        }
    }
}
