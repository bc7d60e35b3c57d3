import MetricsCore
import MetricsStore
import Synchronization

/// A store that can refuse its first writes, as SQLite does while another process holds the write
/// lock, and can finish a write its caller cancelled, as a remote database does once the statement
/// has gone out.
final class InstrumentedStore: MetricStore {
    let base: InMemoryMetricStore
    let finishesCancelledWrites: Bool
    private let refusals: Mutex<(left: Int, refused: [Timestamp])>

    struct Busy: Error {}

    init(_ base: InMemoryMetricStore, refusing count: Int = 0, finishesCancelledWrites: Bool = false) {
        self.base = base
        self.finishesCancelledWrites = finishesCancelledWrites
        refusals = Mutex((count, []))
    }

    /// The cycles this store refused to store.
    var refused: [Timestamp] { refusals.withLock { $0.refused } }

    func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int {
        let refuse = refusals.withLock { state in
            guard state.left > 0 else { return false }
            state.left -= 1
            state.refused.append(timestamp)
            return true
        }
        if refuse { throw Busy() }
        if finishesCancelledWrites {
            // An unstructured task does not inherit the caller's cancellation.
            let base = self.base
            return try await Task { try await base.record(values, at: timestamp) }.value
        }
        return try await base.record(values, at: timestamp)
    }

    func metrics() async throws -> [Metric] { try await base.metrics() }
    func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] { try await base.metrics(for: keys) }
    func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary where Batches.Element == [SampleRow] {
        try await base.importSamples(batches)
    }
    func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? {
        try await base.samples(of: id, in: range, limit: limit)
    }
    func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        try await base.changes(after: cursor, from: oldest)
    }
    func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] { try await base.latestTimestamps(of: keys) }
    func checkReadable() async throws { try await base.checkReadable() }
}
