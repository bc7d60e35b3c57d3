import Alerting
import AsyncHTTPClient
import FakeUpstream
import Foundation
import MetricsCore
import NIOCore
import PostgresStore
import TestSupport
import Testing

extension ProcessSuites {
    /// A whole run at the most verbose log level, as an operator debugging a problem would run it:
    /// a key made, subscriptions made, changed and fired, a webhook delivered, a wrong key tried, the
    /// keyed stream opened, `/status` and `/ops/metrics` read. Neither the log nor those pages ever
    /// hold a key, a webhook secret or the database's password.
    @Suite(.serialized) struct SecretsInLogsTests {
        @Test func aTraceRunOnSQLiteLogsNoSecret() async throws {
            try await withTemporaryDirectory { directory in
                try await run(database: "secrets.sqlite", password: nil, in: directory)
            }
        }

        @Test(.enabled(if: TestPostgres.isAvailable || TestPostgres.isCI, Comment(rawValue: TestPostgres.skipReason)))
        func aTraceRunOnPostgreSQLLogsNoSecret() async throws {
            try await TestPostgres.withSchema { location in
                try await withTemporaryDirectory { directory in
                    try await run(database: TestPostgres.url(of: location), password: location.password, in: directory)
                }
            }
        }

        private func run(database: String, password: String?, in directory: URL) async throws {
            let receiver = WebhookReceiver()
            receiver.script("/hook", [.status(200)])
            try await receiver.withRunning { base in
                let environment = [
                    "CRYPTOMETRICS_DATABASE": database, "CRYPTOMETRICS_LOG_LEVEL": "trace",
                    "CRYPTOMETRICS_ALERTS_ALLOW_PRIVATE_TARGETS": "true",
                ]
                let keys = try RunningProcess(
                    ["keys", "create", "--name", "ci"], in: directory, environment: environment, separateOutput: true)
                #expect(try await keys.exitStatus(within: .seconds(60)) == 0, "\(keys.log)")
                let key = try #require(
                    try await eventually { keys.printed.hasSuffix("\n") ? keys.printed.trimmingCharacters(in: .newlines) : nil })
                let serve = try RunningProcess(
                    ["serve", "--source", "simulated", "--port", "0", "--poll-interval", "1"], in: directory, environment: environment)
                let port = try #require(try await serve.apiPort(), "the service starts: \(serve.log)")
                let api = "http://127.0.0.1:\(port)"
                let listed = try await eventually { try await get(api + "/metrics").contains(#""id":1"#) ? true : nil }
                #expect(listed == true, "\(serve.log.suffix(2_000))")

                let body = #"{"metric_id": 1, "rule": {"kind": "threshold", "above": 0}, "webhook": {"url": "\#(base)/hook"}}"#
                let created = try JSONParser.parse(Array(try await send("POST", api + "/subscriptions", key: key, body: body).utf8))
                let secret = try #require(created["secret"]?.string, "\(created)")
                #expect(
                    try await send("PATCH", api + "/subscriptions/1", key: key, body: #"{"rule": {"kind": "threshold", "above": 1}}"#)
                        .contains(#""above":1"#))
                // The key's own stream, which carries its alerts.
                try await withEventStream(api + "/stream", bearer: key) { events in
                    #expect(events.status == 200)
                    _ = try await events.next()
                }
                let wrongKey = "cmk_" + String(repeating: "Z", count: 43)
                #expect(try await send("GET", api + "/subscriptions", key: wrongKey).contains("needs Authorization"))
                // The firing's webhook, signed with the secret, reaches the receiver.
                let delivered = try await eventually(within: .seconds(60)) { receiver.received(on: "/hook").first }
                #expect(delivered != nil, "\(serve.log.suffix(2_000))")
                let pages =
                    try await get(api + "/status") + get(api + "/ops/metrics") + send("GET", api + "/subscriptions/1/deliveries", key: key)

                serve.signal(SIGTERM)
                #expect(try await serve.exitStatus(within: .seconds(30)) == 0)
                let log = keys.log + serve.log
                #expect(log.contains("trace") || log.contains("debug"), "the run logged at its most verbose")
                var secrets = [("the API key", key), ("the wrong key", wrongKey), ("the webhook secret", secret)]
                // The part after `whsec_`, which is what signs (base64 of the key's bytes).
                secrets.append(("the webhook secret's bytes", String(secret.dropFirst("whsec_".count))))
                if let password, !password.isEmpty { secrets.append(("the database password", password)) }
                for (name, value) in secrets {
                    #expect(!log.contains(value), "\(name) is in the log")
                    #expect(!pages.contains(value), "\(name) is in /status, /ops/metrics or the deliveries")
                    // Nor in a hex dump of bytes (a database driver's trace of the rows it reads), even in part.
                    let dumped = Self.hexDumps(of: value).first { log.contains($0) }
                    #expect(dumped == nil, "\(name) is in the log in hex: \(dumped ?? "")")
                }
            }
        }

        /// Every 12-byte run of `value` in hex, as dumps write it: `77 68 73` and `776873`.
        static func hexDumps(of value: String) -> [String] {
            let bytes = Array(value.utf8)
            guard bytes.count >= 12 else { return [] }
            return (0...(bytes.count - 12)).flatMap { start in
                let digits = bytes[start..<(start + 12)].map {
                    String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
                }
                return [digits.joined(separator: " "), digits.joined()]
            }
        }

        private func get(_ url: String) async throws -> String {
            try await send("GET", url, key: nil)
        }

        private func send(_ method: String, _ url: String, key: String?, body: String? = nil) async throws -> String {
            var request = HTTPClientRequest(url: url)
            request.method = .init(rawValue: method)
            if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return String(buffer: try await response.body.collect(upTo: 1 << 22))
        }
    }
}
