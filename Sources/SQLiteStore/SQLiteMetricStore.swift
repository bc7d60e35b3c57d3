import Foundation
import GRDB
import GRDBSQLite
import MetricsCore
import MetricsStore
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
    let pool: DatabasePool
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
        configuration.busyMode = .timeout(busyTimeout.seconds)
        // A new file is readable by its owner alone: it holds webhook secrets. SQLite gives the
        // journal files the database's own permissions. (An empty file is an empty database.)
        // O_EXCL: never truncate a file another process has just made and begun.
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
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
    public func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int {
        guard !values.isEmpty else { return 0 }
        let ids = try await ids(for: values.keys.sorted())
        return try await pool.write { db in
            let statement = try db.cachedStatement(sql: SampleRecord.insertSQL)
            var origins: [SampleOrigin: Int64] = [:]
            var inserted = 0
            for (key, sample) in values.sorted(by: { $0.key < $1.key }) {
                let originID = try origins[sample.origin] ?? SampleOriginRecord.findOrCreate(sample.origin, in: db)
                origins[sample.origin] = originID
                try statement.execute(arguments: [ids[key]!, timestamp.microsecondsSince1970, sample.value, originID])
                inserted += db.changesCount
            }
            let micros = timestamp.microsecondsSince1970
            try SampleBatchRecord.append(first: micros, last: micros, count: inserted, in: db)
            return inserted
        }
    }

    /// The rows go to GRDB's writer queue through a ``WriterHandoff``: the transaction runs there,
    /// synchronously, taking batch after batch while this task reads the next one, so that neither
    /// a thread of Swift's cooperative pool waits on SQLite nor the whole import sits in memory.
    public func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary
    where Batches.Element == [SampleRow] {
        let handoff = WriterHandoff<[SampleRow]>()
        let start = knownIDs.withLock { $0 }
        let pool = self.pool
        async let written = { () async throws -> (ImportSummary, [MetricKey: Int64]) in
            do {
                return try await pool.write { db in
                    var known = start
                    let summary = try Self.insert(
                        { insert in
                            while let batch = try handoff.next() {
                                for row in batch { try insert(row) }
                            }
                        }, known: &known, in: db)
                    return (summary, known)
                }
            } catch {
                // The transaction failed, or never began (GRDB refuses a cancelled task's write
                // before running it): a batch offered now must not wait for it.
                handoff.stop(error)
                throw error
            }
        }()
        do {
            for try await batch in batches where !batch.isEmpty {
                try await handoff.send(batch)
            }
            // A sequence may end early because this task was cancelled (an AsyncStream does):
            // that is not the end of the rows, and nothing of them is kept.
            if Task.isCancelled { throw CancellationError() }
            handoff.finish()
        } catch {
            handoff.fail(error)
        }
        let (summary, known) = try await written
        knownIDs.withLock { $0.merge(known) { old, _ in old } }
        return summary
    }

    /// Inserts every row `produce` hands over, in the caller's transaction, and appends the batch
    /// to the change feed.
    private static func insert(
        _ produce: (_ insert: (SampleRow) throws -> Void) throws -> Void,
        known: inout [MetricKey: Int64],
        in db: Database
    ) throws -> ImportSummary {
        var summary = ImportSummary()
        let insertSample = try db.makeStatement(sql: SampleRecord.insertSQL)
        // Bound and stepped through SQLite's C API: GRDB's arguments allocate for every row,
        // which is a third of the import's time at millions of rows.
        let statement = insertSample.sqliteStatement
        let connection = db.sqliteConnection
        var lastKey: MetricKey?
        var lastID: Int64 = 0
        var lastOrigin: SampleOrigin?
        var lastOriginID: Int64 = 0
        var first = Int64.max
        var last = Int64.min
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
            if row.origin != lastOrigin {
                lastOriginID = try SampleOriginRecord.findOrCreate(row.origin, in: db)
                lastOrigin = row.origin
            }
            let micros = row.timestamp.microsecondsSince1970
            sqlite3_bind_int64(statement, 1, lastID)
            sqlite3_bind_int64(statement, 2, micros)
            sqlite3_bind_double(statement, 3, row.value)
            sqlite3_bind_int64(statement, 4, lastOriginID)
            let code = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
            }
            if sqlite3_changes(connection) > 0 {
                summary.inserted += 1
                first = min(first, micros)
                last = max(last, micros)
            } else {
                summary.duplicates += 1
            }
        }
        try SampleBatchRecord.append(first: first, last: last, count: summary.inserted, in: db)
        return summary
    }

    public func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? {
        try await pool.read { db in
            guard let record = try MetricRecord.fetchOne(db, key: id) else { return nil }
            let statement = try db.cachedStatement(
                sql: """
                    SELECT ?1, timestamp_us, value FROM sample
                    WHERE metric_id = ?1 AND timestamp_us BETWEEN ?2 AND ?3
                    ORDER BY timestamp_us LIMIT ?4
                    """
            )
            try statement.setArguments([id, range.from.microsecondsSince1970, range.through.microsecondsSince1970, limit + 1])
            var samples = try Self.readSeries(statement).first ?? SampleColumns(metricID: id)
            let isTruncated = samples.timestamps.count > limit
            if isTruncated {
                samples.timestamps.removeLast()
                samples.values.removeLast()
            }
            return RangeSamples(metric: try record.metric(), series: samples, isTruncated: isTruncated)
        }
    }

    public func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        try await pool.read { db in
            let feed = try Row.fetchOne(db, sql: "SELECT min(id), max(id) FROM sample_batch")
            let firstBatch: Int64 = feed?[0] ?? 0
            let lastBatch: Int64 = feed?[1] ?? 0
            // A reader further behind than the feed keeps starts over.
            let cursor = cursor.flatMap(FeedPosition.init).flatMap { $0.batch + 1 >= firstBatch || lastBatch == $0.batch ? $0 : nil }
            let newMetrics = try MetricRecord.filter(Column("id") > (cursor?.metric ?? 0)).order(Column("id")).fetchAll(db)
                .map { try $0.metric() }
            let next = FeedPosition(batch: lastBatch, metric: newMetrics.last?.id ?? cursor?.metric ?? 0).cursor
            guard let cursor else {
                let samples = try Self.readAllSeries(db, from: oldest.microsecondsSince1970, through: .max)
                return StoreChanges(cursor: next, isFullLoad: true, metrics: newMetrics, samples: samples)
            }
            guard lastBatch > cursor.batch,
                let span = try Row.fetchOne(
                    db,
                    sql: "SELECT min(first_timestamp_us), max(last_timestamp_us) FROM sample_batch WHERE id > ?",
                    arguments: [cursor.batch]
                ),
                let first: Int64 = span[0], let last: Int64 = span[1], last >= oldest.microsecondsSince1970
            else {
                return StoreChanges(cursor: next, isFullLoad: false, metrics: newMetrics, samples: [])
            }
            let samples = try Self.readAllSeries(db, from: max(first, oldest.microsecondsSince1970), through: last)
            return StoreChanges(cursor: next, isFullLoad: false, metrics: newMetrics, samples: samples)
        }
    }

    /// Every metric's samples in a time range, metric by metric: the join walks the metrics and
    /// seeks each one's range in the clustered key, so the cost follows the samples read, not the
    /// table's size.
    private static func readAllSeries(_ db: Database, from: Int64, through: Int64) throws -> [SampleColumns] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT sample.metric_id, sample.timestamp_us, sample.value
                FROM metric CROSS JOIN sample ON sample.metric_id = metric.id
                WHERE sample.timestamp_us BETWEEN ? AND ?
                ORDER BY metric.id, sample.timestamp_us
                """
        )
        try statement.setArguments([from, through])
        return try readSeries(statement)
    }

    /// Steps a statement of `(metric_id, timestamp_us, value)` rows, grouped by metric, into
    /// arrays through SQLite's C API: at millions of rows, decoding each through `Row` would be most
    /// of a start-up's time. Each metric's arrays are sized to their samples plus room to grow.
    private static func readSeries(_ statement: Statement) throws -> [SampleColumns] {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var result: [SampleColumns] = []
        var timestamps: [Int64] = []
        var values: [Double] = []
        var current: Int64?
        func flush() {
            guard let current, !timestamps.isEmpty else { return }
            result.append(
                SampleColumns(metricID: current, timestamps: SampleColumns.sized(timestamps), values: SampleColumns.sized(values)))
            timestamps.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
        }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
            }
            let id = sqlite3_column_int64(handle, 0)
            if id != current {
                flush()
                current = id
            }
            timestamps.append(sqlite3_column_int64(handle, 1))
            values.append(sqlite3_column_double(handle, 2))
        }
        flush()
        return result
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

    /// Appends `count` batches that added nothing, so that tests can run the feed past its retention.
    func insertEmptyBatches(_ count: Int) async throws {
        try await pool.write { db in
            for _ in 0..<count { try SampleBatchRecord.append(first: 0, last: 0, count: 1, in: db) }
        }
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

/// What a ``ChangeCursor`` of this store holds: the last batch of the feed and the last metric a
/// reader has seen. Batches are numbered in commit order, since SQLite has one writer at a time.
private struct FeedPosition {
    let batch: Int64
    let metric: Int64

    init(batch: Int64, metric: Int64) {
        self.batch = batch
        self.metric = metric
    }

    /// `nil` for a cursor this store did not make, which reads as no cursor: a full load.
    init?(_ cursor: ChangeCursor) {
        guard cursor.position.count == 2 else { return nil }
        self.init(batch: cursor.position[0], metric: cursor.position[1])
    }

    var cursor: ChangeCursor { ChangeCursor(position: [batch, metric]) }
}
