import Alerting
import Foundation
import TestSupport
import Testing

/// Signatures as the Standard Webhooks specification defines them, checked against its published
/// example and against the receiver example in docs/webhooks/verify.py.
@Suite struct WebhookSecretTests {
    private let body = Array(#"{"type":"alert.firing","timestamp":"2026-12-03T08:00:00Z","data":{}}"#.utf8)

    @Test func matchesTheSpecificationsExample() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = secret.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func verifiesItsOwnSignaturesAndNothingTampered() throws {
        let secret = WebhookSecret.generate()
        let signature = secret.signature(id: "evt_1", timestamp: 1_764_748_800, body: body)
        func verify(
            id: String = "evt_1", timestamp: Int64 = 1_764_748_800, body: [UInt8]? = nil, signatures: String? = nil,
            now: Int64 = 1_764_748_810
        )
            -> Bool
        {
            secret.verify(id: id, timestamp: timestamp, body: body ?? self.body, signatures: signatures ?? signature, now: now)
        }
        #expect(verify())
        #expect(!verify(id: "evt_2"), "another event's id")
        #expect(!verify(timestamp: 1_764_748_801), "another timestamp")
        #expect(!verify(body: body + [0x20]), "a byte added to the body")
        #expect(!verify(now: 1_764_748_800 + 301), "older than five minutes: a replay")
        #expect(!verify(now: 1_764_748_800 - 301), "from more than five minutes ahead")
        #expect(!verify(signatures: "v2," + signature.dropFirst(3)), "an unknown version")
        #expect(verify(signatures: "v1,AAAA " + signature), "one of several, while a secret rotates")
        #expect(
            !WebhookSecret.generate().verify(id: "evt_1", timestamp: 1_764_748_800, body: body, signatures: signature, now: 1_764_748_810))
    }

    @Test func secretsHaveOneShapeAndHideThemselves() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.text.hasPrefix("whsec_") && secret.text.count == 6 + 32)
        #expect(WebhookSecret(secret.text) == secret)
        #expect(WebhookSecret("whsec_short") == nil)
        #expect(WebhookSecret("sk_" + secret.text.dropFirst(6)) == nil)
        #expect("\(secret)" == "whsec_…" && String(reflecting: secret) == "whsec_…")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(secret.text))
    }

    /// The receiver example the README points to verifies what this code signs, and refuses a
    /// tampered body: the documentation is tested, not only written.
    @Test func theDocumentedReceiverAcceptsWhatIsSignedAndRefusesATamperedBody() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/webhooks/verify.py")
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            if TestPostgres.isCI {
                Issue.record("CI=true, but python3 is missing: the receiver example cannot be checked")
            } else {
                print("python3 is not installed: the webhook receiver example was not checked")
            }
            return
        }
        let secret = WebhookSecret.generate()
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = secret.signature(id: "evt_42", timestamp: timestamp, body: body)
        func run(body: [UInt8]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script.path, secret.text]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            let request = "webhook-id: evt_42\nwebhook-timestamp: \(timestamp)\nwebhook-signature: \(signature)\n\n"
            input.fileHandleForWriting.write(Data(request.utf8) + Data(body))
            try input.fileHandleForWriting.close()
            let printed = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
        }
        let valid = try run(body: body)
        #expect(valid.status == 0 && valid.output == "valid\n", "\(valid.output)")
        let tampered = try run(body: body.map { $0 == UInt8(ascii: "{") ? UInt8(ascii: "[") : $0 })
        #expect(tampered.status == 1, "\(tampered.output)")
    }
}
