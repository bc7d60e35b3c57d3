import Alerting
import AsyncHTTPClient
import FakeUpstream
import Foundation
import MetricsCore
import NIOCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessSuites {
    /// Alerts through the binary as users run it: a key from `keys create`, a subscription over HTTP,
    /// a signed webhook on 127.0.0.1, and a process killed with -9 while a delivery is under way.
    @Suite(.serialized) struct AlertProcessTests {
        @Test func aWebhookInterruptedByKillNineIsDeliveredAfterTheLease() async throws {
            let receiver = WebhookReceiver()
            receiver.script("/hook", [.holdUntilReleased, .status(200)])
            try await withTemporaryDirectory { directory in
                try await receiver.withRunning { base in
                    let database = ["--database", "alerts.sqlite"]
                    let environment = [
                        "CRYPTOMETRICS_ALERTS_ALLOW_PRIVATE_TARGETS": "true", "CRYPTOMETRICS_ALERTS_DELIVERY_TIMEOUT_SECONDS": "5",
                    ]
                    let keys = try RunningProcess(["keys", "create", "--name", "ci"] + database, in: directory, separateOutput: true)
                    #expect(try await keys.exitStatus(within: .seconds(60)) == 0, "\(keys.log)")
                    let key = try #require(
                        try await eventually { keys.printed.hasSuffix("\n") ? keys.printed.trimmingCharacters(in: .newlines) : nil })
                    let serve = ["serve", "--source", "simulated", "--port", "0", "--poll-interval", "1"] + database
                    let first = try RunningProcess(serve, in: directory, environment: environment)
                    let port = try #require(try await first.apiPort(), "the service starts: \(first.log)")
                    let listed = try await eventually {
                        let response = try await HTTPClient.shared.execute(
                            HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(30))
                        let metrics = try JSONParser.parse(try await response.body.collect(upTo: 1 << 20).readableBytesView)
                        return metrics["metrics"]?[0] == nil ? nil : true
                    }
                    #expect(listed == true, "the first cycle's metrics are served: \(first.log)")

                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/subscriptions")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(key)")
                    request.body = .bytes(
                        ByteBuffer(
                            string: #"{"metric_id": 1, "rule": {"kind": "threshold", "above": 0}, "webhook": {"url": "\#(base)/hook"}}"#)
                    )
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                    let created = try JSONParser.parse(try await response.body.collect(upTo: 1 << 16).readableBytesView)
                    #expect(response.status.code == 201, "\(created)")
                    let secret = try #require(created["secret"]?.string.flatMap(WebhookSecret.init), "\(created)")

                    // The next sample fires it; the receiver holds the request, and the process dies
                    // with it in flight, its attempt never reported.
                    let held = try await eventually(within: .seconds(30)) { receiver.received(on: "/hook").first }
                    _ = try #require(held, "the webhook was sent: \(first.log)")
                    first.signal(SIGKILL)
                    _ = try await first.exitStatus(within: .seconds(30))
                    receiver.release()

                    let second = try RunningProcess(serve, in: directory, environment: environment)
                    let secondPort = try #require(try await second.apiPort(), "the service starts again: \(second.log)")
                    // Delivered once the lease (the 5 s timeout, and margin) has run out.
                    let again = try await eventually(within: .seconds(60)) { receiver.received(on: "/hook").count >= 2 ? true : nil }
                    #expect(again == true, "delivered after the lease: \(second.log)")
                    let received = receiver.received(on: "/hook")
                    #expect(received.count == 2, "once more, not more")
                    #expect(received[0].headers["webhook-id"] == received[1].headers["webhook-id"])
                    let last = received[1]
                    let id = try #require(last.headers["webhook-id"])
                    let timestamp = try #require(last.headers["webhook-timestamp"].flatMap { Int64($0) })
                    #expect(
                        secret.verify(
                            id: id, timestamp: timestamp, body: last.body, signatures: last.headers["webhook-signature"] ?? "",
                            now: Int64(Date().timeIntervalSince1970)))
                    let body = try JSONParser.parse(last.body)
                    #expect(body["type"]?.string == "alert.firing" && body["data"]?["metric_id"]?.double == 1)
                    // Counted for operators: the second process delivered it.
                    let counted = try await eventually {
                        let response = try await HTTPClient.shared.execute(
                            HTTPClientRequest(url: "http://127.0.0.1:\(secondPort)/ops/metrics"), timeout: .seconds(30))
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        return text.contains(#"cryptometrics_webhook_deliveries_total{outcome="delivered"} 1"#) ? true : nil
                    }
                    #expect(counted == true, "the delivery is counted at /ops/metrics")
                    second.signal(SIGTERM)
                    #expect(try await second.exitStatus(within: .seconds(30)) == 0, "\(second.log)")
                }
            }
        }
    }
}
