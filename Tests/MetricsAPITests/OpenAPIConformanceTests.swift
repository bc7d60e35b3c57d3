import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore
import Testing

@testable import Alerting

/// Keeps `/openapi.json` true: real responses of every route, success and error, must validate
/// against the schema the document gives for that path and status.
@Suite struct OpenAPIConformanceTests {
    let document = try! JSONParser.parse(Array(OpenAPIDocument.json.utf8))

    private func schema(_ path: String, _ status: Int, method: String = "get") -> JSONValue? {
        var response = document["paths"]?[path]?[method]?["responses"]?[String(status)]
        if case .string(let reference)? = response?["$ref"] {
            response = document["components"]?["responses"]?[String(reference.split(separator: "/").last!)]
        }
        return response?["content"]?["application/json"]?["schema"]
    }

    @Test func isAnOpenAPI31DocumentServedAsIs() async throws {
        #expect(document["openapi"] == .string("3.1.0"))
        try await APIHarness.with { api in
            try await api.test { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try response.json
                    #expect(json == document)
                }
            }
        }
    }

    @Test func everyResponseMatchesItsSchema() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2.5, 3])
            try await api.store("KRAKEN:ETHUSD", .price, [4])
            try await api.store("ZONDA:BTCUSD", .volume, [10, 12])
            try await api.store("BITSTAMP:BTC-MXN", .price, [1_700_000, 1_700_250.5])
            let validator = SchemaValidator(document: document)
            let requests: [(uri: String, path: String, status: Int)] = [
                ("/metrics", "/metrics", 200),
                ("/metrics/1", "/metrics/{id}", 200),
                ("/metrics/2", "/metrics/{id}", 200),
                ("/metrics/3", "/metrics/{id}", 200),
                ("/metrics/4", "/metrics/{id}", 200),
                ("/metrics/twenty", "/metrics/{id}", 400),
                ("/metrics/30", "/metrics/{id}", 404),
                ("/metrics/1?window=1h", "/metrics/{id}", 200),
                ("/metrics/1?window=7d&max_points=2", "/metrics/{id}", 200),
                ("/metrics/1?from=2026-11-25T11:00:00Z&to=2026-11-25T12:00:00Z", "/metrics/{id}", 200),
                ("/metrics/1?window=2h", "/metrics/{id}", 400),
                ("/metrics/1?from=2026-11-25T13:00:00Z&to=2026-11-25T12:00:00Z", "/metrics/{id}", 400),
                ("/metrics?x=1", "/metrics", 400),
                ("/rankings", "/rankings", 200),
                ("/rankings?metric_type=volume&window=1h&by=cv&limit=1&offset=0", "/rankings", 200),
                ("/rankings?by=variance", "/rankings", 400),
                ("/healthz", "/healthz", 200),
                ("/readyz", "/readyz", 200),
                ("/status", "/status", 404),
                ("/overview", "/overview", 200),
                ("/overview?window=7d", "/overview", 200),
                ("/overview?window=2d", "/overview", 400),
                ("/stream?metrics=x", "/stream", 400),
                ("/stream?metrics=99", "/stream", 404),
                ("/?sort=nothing", "/", 400),
                ("/metrics?pad=" + String(repeating: "x", count: 9_000), "/metrics", 414),
                ("/rankings?pad=" + String(repeating: "x", count: 9_000), "/rankings", 414),
            ]
            try await api.test { client in
                for request in requests {
                    try await client.execute(uri: request.uri, method: .get) { response in
                        #expect(Int(response.status.code) == request.status, "\(request.uri)")
                        let documented = try #require(
                            schema(request.path, request.status), "\(request.path) \(request.status) is documented")
                        let json = try response.json
                        let problems = validator.violations(of: json, against: documented)
                        #expect(problems.isEmpty, "\(request.uri): \(problems)")
                    }
                }
            }
        }
    }

    /// The limits every request meets before any route (HTTPLimitsTests) are in every operation's
    /// responses, and a 431 matches its schema.
    @Test func everyOperationDocumentsTheHeadLimits() async throws {
        let paths = try #require(document["paths"]?.object)
        var operations = 0
        for (path, item) in paths {
            // A path item's other keys (its shared parameters) are not operations.
            let methods: Set = ["get", "head", "post", "put", "patch", "delete", "options"]
            for (method, operation) in try #require(item.object) where methods.contains(method) {
                operations += 1
                let responses = operation["responses"]?.object ?? [:]
                #expect(responses["414"] != nil && responses["431"] != nil, "\(method) \(path)")
            }
        }
        #expect(operations >= 20)
        try await APIHarness.with { api in
            let validator = SchemaValidator(document: document)
            try await api.test { client in
                var headers = HTTPFields()
                for index in 0..<20 { headers[HTTPField.Name("X-Pad-\(index)")!] = String(repeating: "y", count: 1_000) }
                try await client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .requestHeaderFieldsTooLarge)
                    let documented = try #require(schema("/metrics", 431))
                    #expect(validator.violations(of: try response.json, against: documented).isEmpty)
                }
            }
        }
    }

    private struct DocumentedRequest {
        let method: HTTPRequest.Method
        let uri: String
        let path: String
        let body: String?
        let status: Int
        let key: Bool

        init(_ method: HTTPRequest.Method, _ uri: String, _ path: String, _ body: String?, _ status: Int, _ key: Bool) {
            (self.method, self.uri, self.path, self.body, self.status, self.key) = (method, uri, path, body, status, key)
        }
    }

    /// The subscription routes, each success and error, against the document.
    @Test func everySubscriptionResponseMatchesItsSchema() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2.5, 3])
            let key = APIKeySecret.generate()
            _ = try await api.store.createKey(name: "docs", hash: key.hash, at: APIHarness.now)
            let validator = SchemaValidator(document: document)
            let hook = #""webhook": {"url": "http://127.0.0.1:9/hook"}"#
            let requests: [DocumentedRequest] = [
                DocumentedRequest(
                    .post, "/subscriptions", "/subscriptions", #"{"metric_id": 1, "rule": {"kind": "deviation"}, \#(hook)}"#, 201, true),
                DocumentedRequest(
                    .post, "/subscriptions", "/subscriptions", #"{"metric_id": 1, "rule": {"kind": "threshold", "below": 2}, \#(hook)}"#,
                    201, true
                ),
                DocumentedRequest(
                    .post, "/subscriptions", "/subscriptions",
                    #"{"metric_id": 1, "rule": {"kind": "change", "window": "1h", "percent": 5}, \#(hook)}"#, 201, true
                ),
                DocumentedRequest(.post, "/subscriptions", "/subscriptions", #"{"metric_id": 1}"#, 400, true),
                DocumentedRequest(
                    .post, "/subscriptions", "/subscriptions", #"{"metric_id": 1, "rule": {"kind": "x"}, \#(hook)}"#, 422, true),
                DocumentedRequest(
                    .post, "/subscriptions", "/subscriptions", "{\"pad\": \"" + String(repeating: "x", count: 70_000) + "\"}", 413, true),
                DocumentedRequest(.post, "/subscriptions", "/subscriptions", "{}", 401, false),
                DocumentedRequest(.get, "/subscriptions", "/subscriptions", nil, 200, true),
                DocumentedRequest(.get, "/subscriptions?limit=1", "/subscriptions", nil, 200, true),
                DocumentedRequest(.get, "/subscriptions?limit=0", "/subscriptions", nil, 400, true),
                DocumentedRequest(.get, "/subscriptions", "/subscriptions", nil, 401, false),
                DocumentedRequest(.get, "/subscriptions/1", "/subscriptions/{id}", nil, 200, true),
                DocumentedRequest(.get, "/subscriptions/x", "/subscriptions/{id}", nil, 400, true),
                DocumentedRequest(.get, "/subscriptions/99", "/subscriptions/{id}", nil, 404, true),
                DocumentedRequest(.patch, "/subscriptions/1", "/subscriptions/{id}", #"{"paused": true}"#, 200, true),
                DocumentedRequest(
                    .patch, "/subscriptions/1", "/subscriptions/{id}", #"{"rule": {"kind": "deviation", "k": -1}}"#, 422, true),
                DocumentedRequest(.patch, "/subscriptions/99", "/subscriptions/{id}", #"{"paused": true}"#, 404, true),
                DocumentedRequest(.delete, "/subscriptions/99", "/subscriptions/{id}", nil, 404, true),
            ]
            try await api.test { client in
                try await check(requests, key: key, client: client, validator: validator)
                let deleted = try await client.execute(
                    uri: "/subscriptions/1", method: .delete, headers: [.authorization: "Bearer \(key.text)"])
                #expect(deleted.status == .noContent)
                #expect(document["paths"]?["/subscriptions/{id}"]?["delete"]?["responses"]?["204"] != nil)
            }
        }
    }

    /// Sends each request, and holds its answer to the status and the schema the document gives.
    private func check(
        _ requests: [DocumentedRequest], key: APIKeySecret, client: some TestClientProtocol, validator: SchemaValidator
    ) async throws {
        for request in requests {
            var headers: HTTPFields = [:]
            if request.key { headers[.authorization] = "Bearer \(key.text)" }
            let response = try await client.execute(
                uri: request.uri, method: request.method, headers: headers, body: request.body.map { ByteBuffer(string: $0) })
            #expect(Int(response.status.code) == request.status, "\(request.method) \(request.uri): \(response.text)")
            let method = request.method.rawValue.lowercased()
            let documented = try #require(
                schema(request.path, request.status, method: method), "\(method) \(request.path) \(request.status) is documented")
            let problems = validator.violations(of: try response.json, against: documented)
            #expect(problems.isEmpty, "\(request.method) \(request.uri): \(problems)")
        }
    }

    /// A subscription's events and deliveries, and sending one again, against the document.
    @Test func everyOutboxResponseMatchesItsSchema() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2.5, 3])
            let key = APIKeySecret.generate()
            let owner = try await api.store.createKey(name: "docs", hash: key.hash, at: APIHarness.now).id
            let metric = try #require(try await api.store.metrics().first)
            let rule = try AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 2))
            let subscription = try await api.store.createSubscription(
                SubscriptionDraft(owner: owner, metricID: metric.id, rule: rule, webhookURL: "http://127.0.0.1:9/", secret: "whsec_x"),
                at: APIHarness.now)
            let now = APIHarness.now
            let judgement = AlertJudgement(holds: true, value: 3, mean: 1.75, deviation: 0.75, samples: 2)
            let data = AlertEventData(subscription: subscription, metric: metric, episode: 1, judgement: judgement, sampleTime: now).json
            let state = AlertState(status: .firing, streak: 0, episode: 1, lastSent: now, episodeSent: true)
            _ = try await api.store.advance(
                AlertAdvance(
                    subscriptionID: subscription.id, expectedRevision: 0, state: state, judgedThrough: now,
                    events: [NewAlertEvent(kind: .firing, episode: 1, isSent: true, sampleTime: now, data: data)], at: now))
            let claimed = try await api.store.claimEvents(limit: 1, holder: "docs", now: now, leaseUntil: now.adding(seconds: 30))
            try await api.store.complete(
                [
                    DeliveryAttempt(
                        eventID: claimed[0].event.id, attemptedAt: now, latencyMicroseconds: 1_234, statusCode: 503,
                        error: "the receiver answered 503", outcome: .retry(at: now.adding(seconds: 4)))
                ], holder: "docs")
            let validator = SchemaValidator(document: document)
            let events = "/subscriptions/{id}/events"
            let deliveries = "/subscriptions/{id}/deliveries"
            let retry = "/subscriptions/{id}/deliveries/{event}/retry"
            let requests: [DocumentedRequest] = [
                DocumentedRequest(.get, "/subscriptions/1/events", events, nil, 200, true),
                DocumentedRequest(.get, "/subscriptions/1/events?limit=1&before=5", events, nil, 200, true),
                DocumentedRequest(.get, "/subscriptions/1/events?before=x", events, nil, 400, true),
                DocumentedRequest(.get, "/subscriptions/99/events", events, nil, 404, true),
                DocumentedRequest(.get, "/subscriptions/1/events", events, nil, 401, false),
                DocumentedRequest(.get, "/subscriptions/1/deliveries", deliveries, nil, 200, true),
                DocumentedRequest(.get, "/subscriptions/1/deliveries?limit=1001", deliveries, nil, 400, true),
                DocumentedRequest(.get, "/subscriptions/99/deliveries", deliveries, nil, 404, true),
                DocumentedRequest(.post, "/subscriptions/1/deliveries/1/retry", retry, nil, 202, true),
                DocumentedRequest(.post, "/subscriptions/1/deliveries/7/retry", retry, nil, 404, true),
                DocumentedRequest(.post, "/subscriptions/1/deliveries/x/retry", retry, nil, 400, true),
                DocumentedRequest(.post, "/subscriptions/99/deliveries/1/retry", retry, nil, 404, true),
                DocumentedRequest(.post, "/subscriptions/1/deliveries/1/retry", retry, nil, 401, false),
            ]
            try await api.test { client in
                try await check(requests, key: key, client: client, validator: validator)
                // Held by a dispatcher: not sent again until it lets go.
                _ = try await api.store.claimEvents(limit: 1, holder: "docs", now: now, leaseUntil: now.adding(seconds: 30))
                try await check(
                    [DocumentedRequest(.post, "/subscriptions/1/deliveries/1/retry", retry, nil, 409, true)], key: key, client: client,
                    validator: validator)
                let listed = try await client.execute(
                    uri: "/subscriptions/1/events", method: .get, headers: [.authorization: "Bearer \(key.text)"])
                let event = try #require(try listed.json["events"]?[0])
                // Sent again by the POST above: pending, its attempts counted afresh, its last error kept.
                #expect(event["type"]?.string == "alert.firing" && event["status"]?.string == "pending" && event["attempts"]?.double == 0)
                #expect(event["data"]?["m"]?.double == 1.75 && event["data"]?["D"]?.double == 0.75)
                #expect(event["last_error"]?.string == "the receiver answered 503")
            }
        }
    }

    @Test func theStatusMatchesItsSchema() async throws {
        var status = PollStatus(
            intervalSeconds: 60,
            tickers: [
                PollStatus.TickerStatus(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), upstreams: ["kraken", "cryptowatch"]),
                PollStatus.TickerStatus(ticker: try Ticker(parsing: "ZONDA:ETHUSD"), upstreams: ["zonda"]),
            ],
            upstreams: [
                PollStatus.UpstreamStatus(
                    name: "kraken", endpoint: "https://api.kraken.com", breaker: "open", consecutiveFailures: 3, probeAt: APIHarness.now),
                PollStatus.UpstreamStatus(
                    name: "zonda", endpoint: "https://zonda", breaker: "closed", consecutiveFailures: 0, probeAt: nil),
            ]
        )
        status.lastCycle = APIHarness.now
        status.lastCycleMilliseconds = 12
        status.tickers[0].lastSuccess = APIHarness.now
        status.tickers[0].lastUpstream = "cryptowatch"
        status.tickers[0].lastError = PollStatus.Failure(
            at: APIHarness.now, upstream: "kraken", kind: "circuit_open", reason: "circuit \"open\"")
        let fixed = status
        try await APIHarness.with { api in
            try await api.test(pollStatus: { fixed }) { client in
                try await client.execute(uri: "/status", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try response.json
                    let problems = SchemaValidator(document: document).violations(of: json, against: try #require(schema("/status", 200)))
                    #expect(problems.isEmpty, "\(problems)")
                    #expect(json["tickers"]?[0]?["last_error"]?["reason"] == .string("circuit \"open\""))
                    #expect(json["tickers"]?[1]?["last_success"] == .null)
                    #expect(json["upstreams"]?[0]?["probe_at"] == .string("2026-11-25T12:00:00Z"))
                }
            }
        }
    }

    /// Leases as a database would hold them, for the pollers' part of `/status`.
    struct FixedLeases: TickerLeases {
        var holders: [LeaseHolderStatus]
        var failure: String?

        func share(of tickers: [Ticker], for holder: LeaseHolder, slot: Timestamp, interval: Duration) async throws -> [Ticker] { [] }
        func release(_ holder: LeaseHolder, from slot: Timestamp) async throws {}
        func leaseHolders(at slot: Timestamp) async throws -> [LeaseHolderStatus] {
            if let failure { throw APITestFailure(failure) }
            return holders
        }
    }

    struct APITestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private var twoPollers: FixedLeases {
        let tickers = ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD", "ZONDA:BTCPLN"].map { try! Ticker(parsing: $0) }
        return FixedLeases(holders: [
            LeaseHolderStatus(
                holder: LeaseHolder(id: "a1", name: "poll-1:101"), seenAt: APIHarness.now,
                expiresAt: APIHarness.now.adding(seconds: 90), tickers: Array(tickers[..<2])),
            LeaseHolderStatus(
                holder: LeaseHolder(id: "b2", name: "poll-2:202"), seenAt: APIHarness.now,
                expiresAt: APIHarness.now.adding(seconds: 90), tickers: [tickers[2]]),
        ])
    }

    @Test func anInstanceThatDoesNotPollShowsEveryPollersLeases() async throws {
        let leases = twoPollers
        try await APIHarness.with { api in
            try await api.test(leases: leases) { client in
                try await client.execute(uri: "/status", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try response.json
                    let problems = SchemaValidator(document: document).violations(of: json, against: try #require(schema("/status", 200)))
                    #expect(problems.isEmpty, "\(problems)")
                    #expect(json["pollers"]?[0]?["name"] == .string("poll-1:101"))
                    #expect(json["pollers"]?[0]?["tickers"] == .array([.string("KRAKEN:BTCUSD"), .string("KRAKEN:ETHUSD")]))
                    #expect(json["pollers"]?[1]?["expires_at"] == .string("2026-11-25T12:01:30Z"))
                    #expect(json["tickers"] == nil)
                }
            }
        }
    }

    @Test func aPollerShowsItsOwnStatusAndEveryPollersLeases() async throws {
        let leases = twoPollers
        let status = PollStatus(intervalSeconds: 60, tickers: [], upstreams: [])
        try await APIHarness.with { api in
            try await api.test(pollStatus: { status }, leases: leases) { client in
                try await client.execute(uri: "/status", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = try response.json
                    let problems = SchemaValidator(document: document).violations(of: json, against: try #require(schema("/status", 200)))
                    #expect(problems.isEmpty, "\(problems)")
                    #expect(json["pollers"]?.array?.count == 2)
                    #expect(json["interval_seconds"] == .number(60))
                }
            }
        }
    }

    @Test func unreadableLeasesAreA503ThatSaysSo() async throws {
        let leases = FixedLeases(holders: [], failure: "connection refused")
        try await APIHarness.with { api in
            try await api.test(leases: leases) { client in
                try await client.execute(uri: "/status", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let json = try response.json
                    #expect(json["error"]?.string?.contains("connection refused") == true)
                }
            }
        }
    }

    @Test func theValidatorCatchesDrift() throws {
        let validator = SchemaValidator(document: document)
        let detail = try #require(schema("/metrics/{id}", 200))
        let drifted: JSONValue = .object([
            "id": .number(1), "ticker": .string("kraken-btcusd"), "metric_type": .string("price"),
            "metric_24h_history": .array([.object(["timestamp": .string("2026-11-25 12:00:00"), "value": .number(1)])]),
            "standard_deviation": .string("n/a"), "extra": .bool(true),
        ])
        let problems = validator.violations(of: drifted, against: detail)
        for expected in [
            "missing required metric_rank", "does not match", "undocumented property extra", "expected number or null", "invalid timestamp",
        ] {
            #expect(problems.contains { $0.contains(expected) }, "\(expected) in \(problems)")
        }
    }
}
