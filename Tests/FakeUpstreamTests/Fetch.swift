import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// One answer from the fake, read whole.
struct Fetched {
    let status: Int
    let contentType: String?
    let retryAfter: String?
    let body: String

    /// The body parsed as JSON (arrays and objects as Foundation gives them).
    var json: Any { get throws { try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) } }
    var object: [String: Any] { get throws { try #require(try json as? [String: Any]) } }
    var rows: [[Any]] { get throws { try #require(try json as? [[Any]]) } }
}

/// GET `url` over real HTTP with a deadline on the whole exchange, body included.
func fetch(_ url: String, within deadline: Duration = .seconds(60)) async throws -> Fetched {
    let request = HTTPClientRequest(url: url)
    let response = try await HTTPClient.shared.execute(request, deadline: .now() + TimeAmount(deadline))
    let body = try await response.body.collect(upTo: 16 << 20)
    return Fetched(
        status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
        retryAfter: response.headers.first(name: "Retry-After"), body: String(buffer: body))
}

/// Waits for `condition` at most `deadline`: the bounded way to wait for the server's side.
func waitUntil(within deadline: Duration = .seconds(60), _ condition: () -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while !condition() {
        if clock.now >= end { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// A number from JSON, whether the exchange sent it as a number or a string.
func number(_ value: Any?) -> Double? {
    if let text = value as? String { return Double(text) }
    return (value as? NSNumber)?.doubleValue
}
