import Foundation
import GRDB
import MetricsCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode, read concurrently while one writer writes.
///
/// Every commit is synced to disk (`synchronous = FULL`), so a sample acknowledged by ``record(_:at:)``
/// survives `kill -9` and power loss. Several processes may open the same file; writers wait for
/// each other up to ``busyTimeout``.
public final class SQLiteMetricStore: MetricStore {
    /// How long a write waits for another process's write by default before failing.
    public static let defaultBusyTimeout: Duration = .seconds(10)

    public let path: String
    private let pool: DatabasePool
    /// Metric ids never change once assigned, so they are cached after the first lookup.
    private let knownIDs = Mutex<[MetricKey: Int64]>([:])

    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    ///
    /// - Parameter busyTimeout: how long a write waits while another process writes (an import holds
    ///   the lock for its whole file). The poller passes a short one: it keeps refused cycles and
    ///   stores them later, and must not sit in SQLite's wait when asked to shut down.
    public init(path: String, busyTimeout: Duration = defaultBusyTimeout) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
        configuration.prepareDatabase { db in
            db.add(function: DatabaseFunction("sample_stddev", argumentCount: 1, pure: true, aggregate: SampleDeviationAggregate.self))
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            do {
                try SchemaMigrations.migrator.migrate(pool)
            } catch {
                // Another process may have migrated the same new file a moment ago (GRDB reads the
                // applied migrations before it locks): the second attempt sees them.
                try SchemaMigrations.migrator.migrate(pool)
            }
            // After the pool is open: GRDB sets `synchronous = NORMAL` when it enables WAL, which
            // survives a crash but not a power loss. The writer connection lives as long as the pool.
            // `fullfsync` makes macOS flush the drive's cache too; Linux's fsync already does.
            try pool.barrierWriteWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA fullfsync = ON; PRAGMA checkpoint_fullfsync = ON")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            throw StoreError.cannotOpen(
                path: path,
                reason: "SQLite cannot open or create the file; check that its directory exists and is writable"
            )
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? error.description)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        let unknown = (try? pool.read { db in try SchemaMigrations.migrator.hasBeenSuperseded(db) }) ?? false
        if unknown {
            throw StoreError.cannotOpen(
                path: path,
                reason: "the database was written by a newer cryptometrics; upgrade this binary or use another --database"
            )
        }
    }

    public func metrics() async throws -> [Metric] {
        try await pool.read { db in
            try MetricRecord.order(Column("id")).fetchAll(db).map { try $0.metric() }
        }
    }

    public func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] {
        let ids = try await ids(for: keys)
        return ids.reduce(into: [:]) { result, entry in result[entry.key] = Metric(id: entry.value, key: entry.key) }
    }

    @discardableResult
    public func record(_ values: [MetricKey: Double], at timestamp: Timestamp) async throws -> Int {
        guard !values.isEmpty else { return 0 }
        let ids = try await ids(for: values.keys.sorted())
        return try await pool.write { db in
            let statement = try db.cachedStatement(sql: SampleRecord.insertSQL)
            var inserted = 0
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                try statement.execute(arguments: [ids[key]!, timestamp.microsecondsSince1970, value])
                inserted += db.changesCount
            }
            return inserted
        }
    }

    public func importSamples(
        _ produce: (_ insert: (SampleRow) throws -> Void) throws -> Void
    ) async throws -> ImportSummary {
        try importSynchronously(produce)
    }

    /// The import runs on the calling thread: its rows come from a non-escaping closure, which
    /// cannot cross to GRDB's writer queue, and a bulk load has nothing else to do meanwhile.
    private func importSynchronously(
        _ produce: (_ insert: (SampleRow) throws -> Void) throws -> Void
    ) throws -> ImportSummary {
        var known = knownIDs.withLock { $0 }
        var summary = ImportSummary()
        try pool.write { db in
            let insertSample = try db.makeStatement(sql: SampleRecord.insertSQL)
            var lastKey: MetricKey?
            var lastID: Int64 = 0
            try produce { row in
                if row.key != lastKey {
                    if let id = known[row.key] {
                        lastID = id
                    } else {
                        let (id, created) = try MetricRecord.findOrCreate(row.key, in: db)
                        known[row.key] = id
                        lastID = id
                        if created { summary.metricsCreated += 1 }
                    }
                    lastKey = row.key
                }
                insertSample.setUncheckedArguments([lastID, row.timestamp.microsecondsSince1970, row.value])
                try insertSample.execute()
                if db.changesCount > 0 { summary.inserted += 1 } else { summary.duplicates += 1 }
            }
        }
        knownIDs.withLock { $0.merge(known) { old, _ in old } }
        return summary
    }

    public func window(of id: Int64, in range: TimeRange) async throws -> MetricWindow? {
        try await pool.read { db in
            guard let record = try MetricRecord.fetchOne(db, key: id) else { return nil }
            let metric = try record.metric()
            let samples = try Row.fetchAll(
                db,
                sql: """
                    SELECT timestamp_us, value FROM sample
                    WHERE metric_id = ? AND timestamp_us BETWEEN ? AND ?
                    ORDER BY timestamp_us
                    """,
                arguments: [id, range.from.microsecondsSince1970, range.through.microsecondsSince1970]
            ).map { Sample(timestamp: Timestamp(microsecondsSince1970: $0[0]), value: $0[1]) }
            var deviations: [Int64: Double] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT metric.id, sample_stddev(sample.value)
                    FROM metric JOIN sample ON sample.metric_id = metric.id
                    WHERE metric.metric_type = ? AND sample.timestamp_us BETWEEN ? AND ?
                    GROUP BY metric.id
                    """,
                arguments: [metric.type.rawValue, range.from.microsecondsSince1970, range.through.microsecondsSince1970]
            )
            while let row = try rows.next() {
                if let deviation: Double = row[1] { deviations[row[0]] = deviation }
            }
            return MetricWindow(metric: metric, range: range, samples: samples, peerDeviations: deviations)
        }
    }

    public func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] {
        let wanted = Set(keys)
        return try await pool.read { db in
            var latest: [MetricKey: Timestamp] = [:]
            for record in try MetricRecord.fetchAll(db) {
                let key = try record.metric().key
                guard wanted.contains(key),
                    let newest = try Int64.fetchOne(
                        db,
                        sql: "SELECT max(timestamp_us) FROM sample WHERE metric_id = ?",
                        arguments: [record.id]
                    )
                else { continue }
                latest[key] = Timestamp(microsecondsSince1970: newest)
            }
            return latest
        }
    }

    /// The writer's `PRAGMA synchronous` level (2 is FULL), for tests of the durability promise.
    func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func checkReadable() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM metric") }
    }

    /// Ids for `keys`, creating missing metrics in the order given, so that ids follow the
    /// configuration's order (KRAKEN:BTCUSD price is 1 with the default markets).
    private func ids(for keys: [MetricKey]) async throws -> [MetricKey: Int64] {
        let cached = knownIDs.withLock { known in
            keys.reduce(into: [MetricKey: Int64]()) { result, key in result[key] = known[key] }
        }
        let missing = keys.filter { cached[$0] == nil }
        if missing.isEmpty { return cached }
        let found = try await pool.write { db in
            try missing.reduce(into: [MetricKey: Int64]()) { result, key in
                if result[key] == nil { result[key] = try MetricRecord.findOrCreate(key, in: db).id }
            }
        }
        knownIDs.withLock { $0.merge(found) { old, _ in old } }
        return cached.merging(found) { old, _ in old }
    }
}

/// Why the store could not be used, in terms a user can act on.
public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case corruptRow(table: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the database \(path): \(reason)"
        case .corruptRow(let table, let reason):
            "the database holds a row this version cannot read (table \(table)): \(reason)"
        }
    }
}

/// SQLite aggregate `sample_stddev(value)`: the sample standard deviation, computed with the same
/// accumulator as everything else so that SQL and Swift agree to the last bit.
private struct SampleDeviationAggregate: DatabaseAggregate {
    var statistics = RunningStatistics()

    mutating func step(_ values: [DatabaseValue]) throws {
        if let value = Double.fromDatabaseValue(values[0]) { statistics.add(value) }
    }

    func finalize() throws -> (any DatabaseValueConvertible)? {
        statistics.sampleStandardDeviation
    }
}
