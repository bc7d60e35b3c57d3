import Foundation
import Hummingbird
import NIOCore

/// The fake's own endpoints under `/_fake`, for a soak script to change faults while it runs
/// (served only when ``FakeUpstream/withRunning(port:controlAPI:_:)`` is asked to):
///
/// - `GET /_fake/faults`: `{"faults":["binance:quotes=rate-limited:5@0.1", ...]}`, the rules in force.
/// - `PUT /_fake/faults` with `["spec", ...]` or `{"faults":["spec", ...]}`: replaces every rule.
/// - `POST /_fake/faults` with the same body: adds rules.
/// - `DELETE /_fake/faults`: removes every rule.
/// - `GET /_fake/requests`: `{"binance:quotes": 12, ...}`, requests per route so far.
///
/// Specs are ``FaultSpec``'s; a bad one is a 400 naming it, and changes nothing.
enum ControlAPI {
    static func addRoutes(to router: Router<FakeRequestContext>, fake: FakeUpstream) {
        router.get("_fake/faults") { _, _ in json(200, list(fake.faultRules.map(\.description))) }
        router.put("_fake/faults") { request, _ in try await change(request, fake, replacing: true) }
        router.post("_fake/faults") { request, _ in try await change(request, fake, replacing: false) }
        router.delete("_fake/faults") { _, _ in
            fake.clearFaults()
            return json(200, list([]))
        }
        router.get("_fake/requests") { _, _ in
            let routes = FakeUpstream.Exchange.allCases.flatMap { exchange in
                FakeUpstream.Endpoint.allCases.map { FakeUpstream.Route(exchange, $0) }
            }
            return json(200, JSON.object(routes.map { ($0.description, String(fake.requestCount(on: $0))) }))
        }
    }

    private static func change(_ request: Request, _ fake: FakeUpstream, replacing: Bool) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let document = try? JSONSerialization.jsonObject(with: Data(buffer: body))
        guard let specs = (document as? [String]) ?? ((document as? [String: Any])?["faults"] as? [String]) else {
            return json(400, JSON.object([("error", JSON.string(#"expected ["spec", ...] or {"faults": ["spec", ...]}"#))]))
        }
        var rules: [FakeUpstream.FaultRule] = []
        for spec in specs {
            do { rules += try FaultSpec.parse(spec) } catch { return json(400, JSON.object([("error", JSON.string(error.description))])) }
        }
        if replacing { fake.clearFaults() }
        rules.forEach(fake.addFaultRule)
        return json(200, list(fake.faultRules.map(\.description)))
    }

    private static func list(_ specs: [String]) -> String { JSON.object([("faults", JSON.array(specs.map(JSON.string)))]) }

    private static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
