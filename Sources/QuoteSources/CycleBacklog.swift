import MetricsCore
import MetricsStore

/// Cycles the store refused (an import holds SQLite's write lock, the database is away), kept in
/// memory to be stored, oldest first, once the store takes writes again. Bounded: past ``limit``
/// the oldest cycle is dropped, so that a store gone for good cannot take the process's memory.
struct CycleBacklog: Sendable {
    /// One refused cycle: its timestamp and its values.
    struct Cycle: Sendable {
        let timestamp: Timestamp
        let values: [MetricKey: SampleValue]
    }

    let limit: Int
    private(set) var cycles: [Cycle] = []

    init(limit: Int = 1_000) {
        precondition(limit > 0, "a backlog keeps at least one cycle")
        self.limit = limit
    }

    var isEmpty: Bool { cycles.isEmpty }

    /// Samples waiting, over every cycle.
    var sampleCount: Int { cycles.reduce(0) { $0 + $1.values.count } }

    /// Keeps a refused cycle; returns the cycle dropped to make room, if one was.
    mutating func keep(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) -> Cycle? {
        cycles.append(Cycle(timestamp: timestamp, values: values))
        return cycles.count > limit ? cycles.removeFirst() : nil
    }

    /// Stores the waiting cycles in order until the store refuses one; returns how many were
    /// stored. Those not stored stay, in order, for the next try.
    mutating func store(into store: any MetricStore) async -> Int {
        var stored = 0
        while let first = cycles.first {
            do {
                try await store.record(first.values, at: first.timestamp)
            } catch {
                break
            }
            cycles.removeFirst()
            stored += 1
        }
        return stored
    }
}
