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
    func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int { throw Failure() }
    func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary where Batches.Element == [SampleRow] {
        throw Failure()
    }
    func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? { throw Failure() }
    /// Readable once: the statistics load (nothing), then the disk fails.
    func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        guard cursor == nil else { throw Failure() }
        return StoreChanges(cursor: ChangeCursor(position: [0]), isFullLoad: true, metrics: [], samples: [])
    }
    func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] { throw Failure() }
    func checkReadable() async throws { throw Failure() }
}

@Suite struct UnreadableStoreTests {
    @Test func untilTheFirstLoadTheAPIAsksClientsToRetry() async throws {
        let statistics = LiveStatistics(store: UnreadableStore())
        let app = Application(router: buildRouter(statistics: statistics))
        try await app.test(.router) { client in
            for uri in ["/readyz", "/metrics", "/metrics/1", "/rankings"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect(response.text.contains("still loading"), "\(uri)")
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func readinessFailsAndErrorsStayJSON() async throws {
        let statistics = LiveStatistics(store: UnreadableStore())
        try await statistics.refresh()
        let app = Application(router: buildRouter(statistics: statistics))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text == #"{"error":"The database cannot be read: disk I/O error. The API answers from what it holds."}"#)
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "alive, though not ready")
            await #expect(throws: (any Error).self) { try await statistics.refresh() }
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok, "what was loaded is still served")
            try await client.execute(uri: "/metrics/1?from=2026-11-25T00:00:00Z&to=2026-11-25T01:00:00Z", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.text == #"{"error":"Internal error; it has been logged."}"#)
            }
        }
    }
}
