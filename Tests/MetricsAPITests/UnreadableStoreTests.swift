import Foundation
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore
import Testing

/// A store whose database cannot be read, as when the disk fails under a running service.
private struct UnreadableStore: MetricStore {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk I/O error" }
    }

    func metrics() async throws -> [Metric] { throw Failure() }
    func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] { throw Failure() }
    func record(_ values: [MetricKey: Double], at timestamp: Timestamp) async throws -> Int { throw Failure() }
    func importSamples(_ produce: (_ insert: (SampleRow) throws -> Void) throws -> Void) async throws -> ImportSummary { throw Failure() }
    func window(of id: Int64, in range: TimeRange) async throws -> MetricWindow? { throw Failure() }
    func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] { throw Failure() }
    func checkReadable() async throws { throw Failure() }
}

@Suite struct UnreadableStoreTests {
    @Test func readinessFailsAndErrorsStayJSON() async throws {
        let app = Application(router: buildRouter(store: UnreadableStore()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text == #"{"error":"The database cannot be read: disk I/O error"}"#)
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "alive, though not ready")
            try await client.execute(uri: "/metrics/1", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.text == #"{"error":"Internal error; it has been logged."}"#)
            }
        }
    }
}
