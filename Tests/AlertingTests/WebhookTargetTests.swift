import Foundation
import Testing

@testable import Alerting

/// The guard on where webhooks may go: every special-purpose address refused, public ones let
/// through, names judged by what they resolve to.
@Suite struct WebhookTargetTests {
    private let strict = WebhookTargetPolicy(allowPrivateTargets: false)

    private func refusal(_ url: String, _ policy: WebhookTargetPolicy? = nil) async -> WebhookTargetError? {
        do {
            _ = try await (policy ?? strict).check(url)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.10", "[::1]", "[::]", "[fc00::1]", "[fd12:3456::1]", "[fe80::1]",
        "[ff02::1]", "[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]", "[2001:db8::1]", "[64:ff9b::a00:1]", "[::127.0.0.1]",
        "[2002:7f00:1::1]", "[2001:0:1234::1]", "[fec0::1]", "192.88.99.1",
        // Not literals to inet_pton, but the system resolver reads them the old numeric way.
        "127.1", "2130706433", "0x7f.1",
    ])
    func refusesEverySpecialPurposeAddress(host: String) async {
        let error = await refusal("https://\(host)/hook")
        guard case .privateAddress? = error else {
            Issue.record("\(host): \(String(describing: error))")
            return
        }
    }

    @Test(arguments: [
        "93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "[2002:808:808::1]",
    ])
    func acceptsPublicAddresses(host: String) async {
        #expect(await refusal("https://\(host)/hook") == nil, "\(host)")
    }

    @Test func judgesANameByEveryAddressItResolvesTo() async {
        let resolving: @Sendable (String) async throws -> [IPAddress] = { host in
            switch host {
            case "hooks.example.com": [IPAddress("93.184.216.34")!]
            case "sneaky.example.com": [IPAddress("93.184.216.34")!, IPAddress("10.0.0.5")!]
            default: []
            }
        }
        let policy = WebhookTargetPolicy(allowPrivateTargets: false, resolve: resolving)
        #expect(await refusal("https://hooks.example.com/a", policy) == nil)
        #expect(await refusal("https://sneaky.example.com/a", policy) == .privateAddress(host: "sneaky.example.com", address: "10.0.0.5"))
        #expect(await refusal("https://nowhere.example.com/a", policy) == .unresolvable("nowhere.example.com"))
    }

    @Test func localhostIsResolvedByTheSystemAndRefused() async {
        // /etc/hosts names localhost on every machine this runs on; no network is needed.
        let error = await refusal("http://localhost:8080/hook")
        guard case .privateAddress(host: "localhost", _)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        // With a trailing dot it may not resolve at all here (no DNS); refused either way.
        #expect(await refusal("http://localhost./hook") != nil)
    }

    @Test func anUppercaseSchemeIsStillChecked() async {
        guard case .privateAddress? = await refusal("HTTPS://127.0.0.1/hook") else {
            Issue.record("an uppercase scheme slipped through")
            return
        }
    }

    @Test func theRefusalNamesNoAddressAndDoesNotTellMissingFromPrivate() {
        let privateOne = WebhookTargetError.privateAddress(host: "db.internal", address: "10.0.3.7").description
        #expect(!privateOne.contains("10.0.3.7") && !privateOne.contains("db.internal"))
        #expect(privateOne == WebhookTargetError.unresolvable("nowhere.internal").description)
    }

    @Test func refusesWhatIsNotAnHTTPURLWhateverThePolicy() async {
        let open = WebhookTargetPolicy(allowPrivateTargets: true)
        #expect(await refusal("ftp://example.com/x", open) == .invalid("must be an https:// (or http://) URL, not ftp:"))
        #expect(await refusal("not a url", open) == .invalid("is not a URL"))
        #expect(await refusal("https:///path", open) == .invalid("has no host"))
        #expect(await refusal("https://user:secret@example.com/x", open) == .invalid("must not hold a user name or password"))
        #expect(await refusal("https://example.com/" + String(repeating: "a", count: 2_100), open) == .invalid("is not a URL"))
    }

    @Test func allowingPrivateTargetsLetsLoopbackThrough() async throws {
        let url = try await WebhookTargetPolicy(allowPrivateTargets: true).check("http://127.0.0.1:9000/hook")
        #expect(url.absoluteString == "http://127.0.0.1:9000/hook")
    }

    @Test func addressesPrintAsPeopleWriteThem() {
        #expect(IPAddress("10.0.0.5")?.description == "10.0.0.5")
        #expect(IPAddress("[fe80::1]")?.description == "fe80::1")
        #expect(IPAddress("example.com") == nil)
    }
}
