import Logging
import MetricsCore
import MetricsStore
import PostgresNIO
import PostgresStore
import Synchronization
import TestSupport
import Testing

/// The change feed over PostgreSQL, where batch ids are taken at insert and transactions commit in
/// any order: a reader must still see every write once.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresFeedOrderTests {
    private let logger = Logger(label: "test")

    /// Writers take their batch ids in one order and commit in the opposite one, with random pauses,
    /// while a follower reads the feed without stopping. Each writer's samples lie below every
    /// earlier commit's, so that the feed's time range never brings a sample back: each must be
    /// delivered exactly once, none missed, none twice.
    @Test func everySampleIsSeenOnceWhenWritersCommitInTheOppositeOrderOfTheirIDs() async throws {
        try await TestPostgres.withSchema { location in
            try await PostgresMetricStore.withStore(at: location, maximumConnections: 4, logger: logger) { store in
                let keys = try ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD", "ZONDA:BTCPLN"].map {
                    MetricKey(ticker: try Ticker(parsing: $0), type: .price)
                }
                let ids = try await store.metrics(for: keys).values.map(\.id).sorted()
                let rounds = 6
                let writers = 6
                let base: Int64 = 1_900_000_000_000_000
                // The follower starts after the metrics exist, so every sample reaches it through the feed.
                var cursor = try await store.changes(after: nil, from: Timestamp(microsecondsSince1970: 0)).cursor
                let done = DoneFlag()
                async let written: [SampleKey: Double] = {
                    var all: [SampleKey: Double] = [:]
                    for round in 0..<rounds {
                        let samples = try await writeRound(
                            round: round, writers: writers, metricIDs: ids, base: base, location: location)
                        all.merge(samples) { first, _ in first }
                    }
                    done.set()
                    return all
                }()
                var delivered: [SampleKey: Int] = [:]
                var values: [SampleKey: Double] = [:]
                func read() async throws {
                    let changes = try await store.changes(after: cursor, from: Timestamp(microsecondsSince1970: 0))
                    #expect(!changes.isFullLoad)
                    for series in changes.samples {
                        for (timestamp, value) in zip(series.timestamps, series.values) {
                            let key = SampleKey(metricID: series.metricID, timestamp: timestamp)
                            delivered[key, default: 0] += 1
                            values[key] = value
                        }
                    }
                    cursor = changes.cursor
                }
                var reads = 0
                while !done.isSet, reads < 100_000 {
                    try await read()
                    reads += 1
                }
                let expected = try await written
                try await read()
                #expect(delivered.count == expected.count, "every committed sample reaches the follower")
                #expect(delivered.filter { $0.value != 1 }.isEmpty, "no sample is delivered twice")
                #expect(expected.filter { values[$0.key] != $0.value }.isEmpty, "each sample with the value written")
                #expect(expected.count == rounds * writers * ids.count)
            }
        }
    }

    /// One round: each writer opens its transaction and takes its batch id in turn, then they
    /// commit last-first, each after a random pause, the last to commit holding the smallest id.
    /// The first to commit writes the latest timestamp.
    private func writeRound(
        round: Int, writers: Int, metricIDs: [Int64], base: Int64, location: PostgresLocation
    ) async throws -> [SampleKey: Double] {
        var connections: [PostgresConnection] = []
        do {
            for _ in 0..<writers { connections.append(try await location.connect(logger: logger)) }
            let samples = try await writeRound(round: round, on: connections, metricIDs: metricIDs, base: base)
            for connection in connections { try? await connection.close() }
            return samples
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
    }

    private func writeRound(
        round: Int, on connections: [PostgresConnection], metricIDs: [Int64], base: Int64
    ) async throws -> [SampleKey: Double] {
        let writers = connections.count
        var samples: [SampleKey: Double] = [:]
        for (index, connection) in connections.enumerated() {
            // Commit rank: the last writer to take its id commits first.
            let rank = writers - 1 - index
            let timestamp = base - Int64(round * writers + rank) * 1_000_000
            try await connection.query("BEGIN", logger: logger)
            for id in metricIDs {
                let value = Double(round * 1_000 + index * 10) + Double(id) / 100
                try await connection.query(
                    "INSERT INTO sample (metric_id, timestamp_us, value) VALUES (\(id), \(timestamp), \(value))", logger: logger)
                samples[SampleKey(metricID: id, timestamp: timestamp)] = value
            }
            try await connection.query(
                """
                INSERT INTO sample_batch (first_timestamp_us, last_timestamp_us, sample_count)
                VALUES (\(timestamp), \(timestamp), \(Int32(metricIDs.count)))
                """,
                logger: logger)
        }
        for connection in connections.reversed() {
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...30)))
            try await connection.query("COMMIT", logger: logger)
        }
        return samples
    }
}

struct SampleKey: Hashable {
    let metricID: Int64
    let timestamp: Int64
}

/// Set once by the writers when they are done, read by the follower's loop.
final class DoneFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
