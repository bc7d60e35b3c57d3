import Foundation
import Logging
import MetricsCore
import MetricsStore
import PostgresStore
import SQLiteStore
import TestSupport
import Testing

/// Every store the project has, for the cases every store must pass alike.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    /// The kinds this run can test: PostgreSQL only when a test server is given (see
    /// ``TestPostgres``; `PostgresAvailabilityTests` says when it is not).
    static var available: [StoreKind] {
        allCases.filter { $0 != .postgres || TestPostgres.isAvailable }
    }

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty store of this kind.
    func withStore<Result>(_ body: (any MetricStore) async throws -> Result) async throws -> Result {
        switch self {
        case .memory:
            return try await body(InMemoryMetricStore())
        case .sqlite:
            return try await withTemporaryDirectory { directory in
                try await body(try SQLiteMetricStore(path: directory.appendingPathComponent("db.sqlite").path))
            }
        case .postgres:
            return try await TestPostgres.withSchema { location in
                try await PostgresMetricStore.withStore(at: location, maximumConnections: 4, logger: Logger(label: "test")) { store in
                    try await body(store)
                }
            }
        }
    }
}

/// Rows handed to an import as several batches, optionally failing after them, as a CSV file
/// read in parts does.
struct RowBatches: AsyncSequence {
    struct Stop: Error {}

    let batches: [[SampleRow]]
    var failsAtTheEnd = false

    func makeAsyncIterator() -> AsyncThrowingStream<[SampleRow], any Error>.Iterator {
        AsyncThrowingStream { continuation in
            for batch in batches { continuation.yield(batch) }
            continuation.finish(throwing: failsAtTheEnd ? Stop() : nil)
        }.makeAsyncIterator()
    }
}

/// One batch, then a wait for more that ends only when the importing task is cancelled: an import
/// whose rows still come when the process shuts down. `asked` is told when the importer asks for
/// a second batch, that is, once the store has taken the first.
struct StalledBatches: AsyncSequence {
    let first: [SampleRow]
    let asked: AsyncStream<Void>.Continuation

    func makeAsyncIterator() -> Iterator { Iterator(first: first, asked: asked) }

    struct Iterator: AsyncIteratorProtocol {
        let first: [SampleRow]
        let asked: AsyncStream<Void>.Continuation
        var sent = false

        mutating func next() async throws -> [SampleRow]? {
            guard sent else {
                sent = true
                return first
            }
            asked.yield()
            try await Task.sleep(for: .seconds(3_600))
            return nil
        }
    }
}
