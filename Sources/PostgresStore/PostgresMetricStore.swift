import Logging
import MetricsCore
import MetricsStore
import NIOCore
import PostgresNIO
import Synchronization

/// The store for deployments of more than one machine: a PostgreSQL database that several
/// pollers and API instances share, through a pool of connections (PostgresNIO).
///
/// The same promises as the SQLite store: one transaction per poll cycle, committed durably before
/// ``record(_:at:)`` returns (PostgreSQL's `synchronous_commit`, on by default); a sample at an
/// existing (metric, instant) kept and never overwritten; ids assigned by the database; origins
/// recorded. Its change feed follows commits, not ids: see ``PostgresFeedPosition``.
public final class PostgresMetricStore: MetricStore {
    /// How many batches the change feed keeps, as the other stores do.
    static let retainedBatches: Int64 = 10_000

    public let location: PostgresLocation
    let client: PostgresPool
    let logger: Logger
    /// Metric and origin ids never change once assigned, so they are cached after the first lookup.
    private let knownIDs = Mutex<[MetricKey: Int64]>([:])
    private let knownOrigins = Mutex<[SampleOrigin: Int32]>([:])

    private init(location: PostgresLocation, client: PostgresPool, logger: Logger) {
        self.location = location
        self.client = client
        self.logger = logger
    }

    /// Connects to `location`, brings its schema up to date and hands the store to `body`, keeping
    /// the pool's connections for as long as `body` runs.
    ///
    /// Fails at once, with the host and the reason (never the password), when the server cannot be
    /// reached, refuses the login or holds a newer schema: a process should not start half-able to
    /// store what it polls.
    ///
    /// - Parameter connectionWait: how long an operation waits for a connection before it fails
    ///   (``PostgresPool``). A process that polls passes a short one, as it does to SQLite: it keeps
    ///   refused cycles and stores them later, and must not miss the next cycle waiting.
    public static func withStore<Result>(
        at location: PostgresLocation,
        maximumConnections: Int = 20,
        connectionWait: Duration = .seconds(5),
        logger: Logger,
        _ body: (PostgresMetricStore) async throws -> Result
    ) async throws -> Result {
        // PostgresNIO logs the bytes of every row it receives at trace, and rows carry webhook
        // secrets: it never gets a logger below debug, whatever the process's level.
        var logger = logger
        logger.logLevel = max(logger.logLevel, .debug)
        let connections = try PostgresConnections(location)
        do {
            let connection = try await PostgresConnection.connect(configuration: connections.single, id: 0, logger: logger)
            do {
                try await PostgresSchema.migrate(on: GuardedConnection(connection), logger: logger)
                try? await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as PostgresSchemaError {
            throw StoreError.cannotOpen(path: location.description, reason: error.description)
        } catch {
            throw StoreError.cannotOpen(path: location.description, reason: PostgresFailure.reason(for: error, at: location))
        }
        var poolConfiguration = connections.pool
        poolConfiguration.options.maximumConnections = maximumConnections
        let pool = PostgresPool(
            client: PostgresClient(configuration: poolConfiguration, backgroundLogger: logger), connectionWait: connectionWait)
        let store = PostgresMetricStore(location: location, client: pool, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool must run before the first query leases a connection, or PostgresNIO warns
            // that it does not: the body waits until the pool's task has begun.
            let (started, starting) = AsyncStream.makeStream(of: Void.self)
            group.addTask {
                starting.finish()
                await pool.run()
            }
            for await _ in started {}
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    public func metrics() async throws -> [Metric] {
        try await client.withConnection { connection in
            try await Self.metrics(
                "SELECT id, ticker, metric_type, xid::text::bigint FROM metric ORDER BY id", on: connection, logger: logger
            ).map(\.metric)
        }
    }

    public func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] {
        let ids = try await ids(for: keys)
        return ids.reduce(into: [:]) { result, entry in result[entry.key] = Metric(id: entry.value, key: entry.key) }
    }

    @discardableResult
    public func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int {
        guard !values.isEmpty else { return 0 }
        let keys = values.keys.sorted()
        let ids = try await ids(for: keys)
        let origins = try await originIDs(for: Set(values.values.map(\.origin)))
        let metricIDs = keys.map { ids[$0]! }
        let samples = keys.map { values[$0]!.value }
        let originIDs = keys.map { origins[values[$0]!.origin]! }
        let micros = timestamp.microsecondsSince1970
        // A cycle's write is a few rows: bounded, so that a connection that dies under it (a
        // crashed server closes it without a word, and PostgresNIO may wait for ever) costs the
        // poller seconds, and the cycle waits in its backlog.
        return try await inTransaction(deadline: PostgresPool.pollerOperationDeadline) { connection in
            let rows = try await connection.query(
                """
                WITH inserted AS (
                    INSERT INTO sample (metric_id, timestamp_us, value, origin_id)
                    SELECT metric_id, \(micros), value, origin_id
                    FROM unnest(\(metricIDs)::bigint[], \(samples)::float8[], \(originIDs)::integer[]) AS new (metric_id, value, origin_id)
                    ORDER BY metric_id
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM inserted
                """,
                logger: logger
            )
            let inserted = try await rows.single(Int.self) ?? 0
            try await Self.appendBatch(first: micros, last: micros, count: inserted, on: connection, logger: logger)
            return inserted
        }
    }

    /// Each batch goes straight into `sample` with COPY, PostgreSQL's fastest way in. COPY cannot
    /// skip a row that is there already: a batch that meets one is rolled back to its savepoint and
    /// taken the slow way, through a temporary table and an insert that keeps what is stored and
    /// the first of equal rows; so are the batches after it, since an import that repeats one
    /// usually repeats many. All of it is one transaction.
    public func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary
    where Batches.Element == [SampleRow] {
        var known = knownIDs.withLock { $0 }
        var origins = knownOrigins.withLock { $0 }
        // No deadline: a file of millions of rows is one transaction, and takes what it takes.
        let summary = try await inTransaction(deadline: nil) { connection in
            var summary = ImportSummary()
            var span = TimeSpan()
            var direct = true
            var staging = false
            var text = ByteBuffer()
            var iterator = batches.makeAsyncIterator()
            var current = try await Self.nextBatch(&iterator)
            while let batch = current {
                var newKeys: [MetricKey] = []
                var seen: Set<MetricKey> = []
                for row in batch where known[row.key] == nil && seen.insert(row.key).inserted { newKeys.append(row.key) }
                if !newKeys.isEmpty {
                    let (ids, created) = try await Self.findOrCreate(newKeys, on: connection, logger: logger)
                    known.merge(ids) { old, _ in old }
                    summary.metricsCreated += created
                }
                let newOrigins = Set(batch.lazy.map(\.origin).filter { origins[$0] == nil })
                if !newOrigins.isEmpty {
                    origins.merge(try await Self.findOrCreate(newOrigins, on: connection, logger: logger)) { old, _ in old }
                }
                if direct {
                    text.clear()
                    for row in batch {
                        text.writeCopyRow(known[row.key]!, row.timestamp.microsecondsSince1970, row.value, origins[row.origin]!)
                    }
                    // The server copies this batch while the next one is read.
                    let rows = text
                    async let copied = Self.copyDirectly(rows, on: connection, logger: logger)
                    current = try await Self.nextBatch(&iterator)
                    if try await copied {
                        summary.inserted += batch.count
                        for row in batch { span.include(row.timestamp.microsecondsSince1970) }
                        continue
                    }
                    direct = false
                } else {
                    current = try await Self.nextBatch(&iterator)
                }
                if staging {
                    try await connection.query("TRUNCATE sample_import", logger: logger)
                } else {
                    try await connection.query(
                        """
                        CREATE TEMPORARY TABLE sample_import (
                            line integer NOT NULL, metric_id bigint NOT NULL, timestamp_us bigint NOT NULL,
                            value double precision NOT NULL, origin_id integer NOT NULL
                        ) ON COMMIT DROP
                        """,
                        logger: logger
                    )
                    staging = true
                }
                text.clear()
                for (line, row) in batch.enumerated() {
                    text.writeCopyRow(
                        known[row.key]!, row.timestamp.microsecondsSince1970, row.value, origins[row.origin]!, line: line)
                }
                try await connection.copyFrom(
                    table: "sample_import", columns: ["line", "metric_id", "timestamp_us", "value", "origin_id"], logger: logger
                ) { writer in try await writer.write(text) }
                let rows = try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO sample (metric_id, timestamp_us, value, origin_id)
                        SELECT metric_id, timestamp_us, value, origin_id FROM sample_import
                        ORDER BY metric_id, timestamp_us, line
                        ON CONFLICT DO NOTHING
                        RETURNING timestamp_us
                    )
                    SELECT count(*), min(timestamp_us), max(timestamp_us) FROM inserted
                    """,
                    logger: logger
                )
                for try await (count, first, last) in rows.decode((Int, Int64?, Int64?).self) {
                    summary.inserted += count
                    summary.duplicates += batch.count - count
                    if let first, let last {
                        span.include(first)
                        span.include(last)
                    }
                }
            }
            // A sequence may end early because this task was cancelled (an AsyncStream does): that
            // is not the end of the rows, and nothing of them is kept.
            try Task.checkCancellation()
            try await Self.appendBatch(first: span.first, last: span.last, count: summary.inserted, on: connection, logger: logger)
            return summary
        }
        knownIDs.withLock { $0.merge(known) { old, _ in old } }
        knownOrigins.withLock { $0.merge(origins) { old, _ in old } }
        return summary
    }

    /// The next batch that holds rows, or `nil` at the end.
    private static func nextBatch<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws -> [SampleRow]?
    where Iterator.Element == [SampleRow] {
        while let batch = try await iterator.next() {
            if !batch.isEmpty { return batch }
        }
        return nil
    }

    /// COPYs rows into `sample` inside a savepoint; false, with nothing of them kept, when one of
    /// them is stored already (or repeated among them).
    private static func copyDirectly(_ text: ByteBuffer, on connection: GuardedConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SAVEPOINT import_batch", logger: logger)
        do {
            try await connection.copyFrom(table: "sample", columns: ["metric_id", "timestamp_us", "value", "origin_id"], logger: logger) {
                writer in try await writer.write(text)
            }
            try await connection.query("RELEASE SAVEPOINT import_batch", logger: logger)
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == PostgresFailure.uniqueViolation {
            try await connection.query("ROLLBACK TO SAVEPOINT import_batch", logger: logger)
            return false
        }
    }

    public func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? {
        try await client.withConnection { connection in
            guard
                let metric = try await Self.metrics(
                    "SELECT id, ticker, metric_type, xid::text::bigint FROM metric WHERE id = \(id)", on: connection, logger: logger
                ).first?.metric
            else { return nil }
            let rows = try await connection.query(
                """
                SELECT timestamp_us, value FROM sample
                WHERE metric_id = \(id) AND timestamp_us BETWEEN \(range.from.microsecondsSince1970) AND \(range.through.microsecondsSince1970)
                ORDER BY timestamp_us LIMIT \(limit + 1)
                """,
                logger: logger
            )
            var series = SampleColumns(metricID: id)
            for try await (timestamp, value) in rows.decode((Int64, Double).self) {
                series.timestamps.append(timestamp)
                series.values.append(value)
            }
            let isTruncated = series.timestamps.count > limit
            if isTruncated {
                series.timestamps.removeLast()
                series.values.removeLast()
            }
            return RangeSamples(metric: metric, series: series, isTruncated: isTruncated)
        }
    }

    public func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        // One snapshot for the position and everything read at it.
        try await inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            try await readChanges(after: cursor.flatMap(PostgresFeedPosition.init), from: oldest, on: connection)
        }
    }

    /// Runs `body` in a transaction on a connection of the pool: committed when it returns, rolled
    /// back when it throws, and its error passed on as it is.
    func inTransaction<Result>(
        _ begin: PostgresQuery = "BEGIN", deadline: Duration? = PostgresPool.operationDeadline,
        _ body: (GuardedConnection) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection(deadline: deadline) { connection in
            try await connection.inTransaction(begin, logger: logger, body)
        }
    }

    private func readChanges(
        after position: PostgresFeedPosition?, from oldest: Timestamp, on connection: GuardedConnection
    ) async throws -> StoreChanges {
        var snapshotXmin: Int64 = 0
        var prunedThrough: Int64 = 0
        let horizon = try await connection.query(
            """
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pruned_through::text::bigint
            FROM sample_batch_horizon
            """,
            logger: logger
        )
        for try await (xmin, pruned) in horizon.decode((Int64, Int64).self) {
            snapshotXmin = xmin
            prunedThrough = pruned
        }
        // A reader further behind than the feed keeps starts over.
        let position = position.flatMap { $0.xmin > prunedThrough ? $0 : nil }
        let since = position?.xmin ?? snapshotXmin
        let alreadyRead = Set(position?.read ?? [])
        let newMetrics = try await Self.metrics(
            position == nil
                ? "SELECT id, ticker, metric_type, xid::text::bigint FROM metric ORDER BY id"
                : "SELECT id, ticker, metric_type, xid::text::bigint FROM metric WHERE xid >= \(since)::text::xid8 ORDER BY id",
            on: connection,
            logger: logger
        ).filter { !alreadyRead.contains($0.xid) }
        var batchXids: [Int64] = []
        var first = Int64.max
        var last = Int64.min
        let batches = try await connection.query(
            """
            SELECT xid::text::bigint, first_timestamp_us, last_timestamp_us FROM sample_batch
            WHERE xid >= \(since)::text::xid8
            """,
            logger: logger
        )
        for try await (xid, batchFirst, batchLast) in batches.decode((Int64, Int64, Int64).self)
        where !alreadyRead.contains(xid) {
            batchXids.append(xid)
            first = min(first, batchFirst)
            last = max(last, batchLast)
        }
        let next =
            (position ?? PostgresFeedPosition(xmin: snapshotXmin, read: []))
            .advanced(to: snapshotXmin, seen: batchXids + newMetrics.map(\.xid)).cursor
        let metrics = newMetrics.map(\.metric)
        guard position != nil else {
            let samples = try await Self.readSeries(from: oldest.microsecondsSince1970, through: .max, on: connection, logger: logger)
            return StoreChanges(cursor: next, isFullLoad: true, metrics: metrics, samples: samples)
        }
        guard !batchXids.isEmpty, last >= oldest.microsecondsSince1970 else {
            return StoreChanges(cursor: next, isFullLoad: false, metrics: metrics, samples: [])
        }
        let samples = try await Self.readSeries(
            from: max(first, oldest.microsecondsSince1970), through: last, on: connection, logger: logger)
        return StoreChanges(cursor: next, isFullLoad: false, metrics: metrics, samples: samples)
    }

    public func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] {
        guard !keys.isEmpty else { return [:] }
        let tickers = keys.map(\.ticker.description)
        let types = keys.map(\.type.rawValue)
        return try await client.withConnection(deadline: PostgresPool.pollerOperationDeadline) { connection in
            let rows = try await connection.query(
                """
                SELECT metric.id, metric.ticker, metric.metric_type, metric.xid::text::bigint, newest.timestamp_us
                FROM unnest(\(tickers)::text[], \(types)::text[]) AS wanted (ticker, metric_type)
                JOIN metric USING (ticker, metric_type)
                CROSS JOIN LATERAL (SELECT max(timestamp_us) AS timestamp_us FROM sample WHERE metric_id = metric.id) AS newest
                WHERE newest.timestamp_us IS NOT NULL
                """,
                logger: logger
            )
            var latest: [MetricKey: Timestamp] = [:]
            for try await (id, ticker, type, xid, newest) in rows.decode((Int64, String, String, Int64, Int64).self) {
                let metric = try StoredMetric(id: id, ticker: ticker, type: type, xid: xid).metric
                latest[metric.key] = Timestamp(microsecondsSince1970: newest)
            }
            return latest
        }
    }

    public func checkReadable() async throws {
        // A probe answers within seconds or says the database cannot be read.
        _ = try await client.withConnection(deadline: .seconds(5)) { connection in
            try await connection.query("SELECT count(*) FROM schema_migration", logger: logger)
        }
    }

    // MARK: - Writing

    /// Ids for `keys`, creating missing metrics in the order given, so that ids follow the
    /// configuration's order.
    private func ids(for keys: [MetricKey]) async throws -> [MetricKey: Int64] {
        let cached = knownIDs.withLock { known in
            keys.reduce(into: [MetricKey: Int64]()) { result, key in result[key] = known[key] }
        }
        var seen: Set<MetricKey> = []
        let missing = keys.filter { cached[$0] == nil && seen.insert($0).inserted }
        if missing.isEmpty { return cached }
        // The default deadline: creators take turns under a lock, and on a busy server a turn can
        // take a while; a poller meets this once per new metric, not every cycle.
        let found = try await inTransaction { connection in
            try await Self.findOrCreate(missing, on: connection, logger: logger).ids
        }
        knownIDs.withLock { $0.merge(found) { old, _ in old } }
        return cached.merging(found) { old, _ in old }
    }

    private func originIDs(for origins: Set<SampleOrigin>) async throws -> [SampleOrigin: Int32] {
        let cached = knownOrigins.withLock { known in origins.reduce(into: [SampleOrigin: Int32]()) { $0[$1] = known[$1] } }
        let missing = origins.filter { cached[$0] == nil }
        if missing.isEmpty { return cached }
        let found = try await inTransaction { connection in
            try await Self.findOrCreate(missing, on: connection, logger: logger)
        }
        knownOrigins.withLock { $0.merge(found) { old, _ in old } }
        return cached.merging(found) { old, _ in old }
    }

    /// Held while metrics are created, for the rest of the transaction; the schema's own (with a
    /// hash of its name), so that stores in other schemas do not wait for it.
    static let metricCreationLockClass: Int32 = 0x6372_7963

    /// The ids of `keys` (each once), inserting the missing ones in the order given. Safe against
    /// another process creating the same metrics at the same moment: creators take turns (an
    /// advisory lock), so the second sees the first's rows and inserts nothing. Without the turns
    /// the unique key would still decide, but the losing insert would use up sequence values, and
    /// ids would have gaps that SQLite's do not.
    private static func findOrCreate(
        _ keys: [MetricKey], on connection: GuardedConnection, logger: Logger
    ) async throws -> (ids: [MetricKey: Int64], created: Int) {
        let tickers = keys.map(\.ticker.description)
        let types = keys.map(\.type.rawValue)
        try await connection.query(
            "SELECT pg_advisory_xact_lock(\(metricCreationLockClass), hashtext(current_schema()))", logger: logger)
        let inserted = try await connection.query(
            """
            WITH inserted AS (
                INSERT INTO metric (ticker, metric_type)
                SELECT wanted.ticker, wanted.metric_type
                FROM unnest(\(tickers)::text[], \(types)::text[]) WITH ORDINALITY AS wanted (ticker, metric_type, position)
                WHERE NOT EXISTS (SELECT FROM metric WHERE metric.ticker = wanted.ticker AND metric.metric_type = wanted.metric_type)
                ORDER BY wanted.position
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM inserted
            """,
            logger: logger
        )
        let created = try await inserted.single(Int.self) ?? 0
        let rows = try await connection.query(
            """
            SELECT metric.id, metric.ticker, metric.metric_type, metric.xid::text::bigint
            FROM unnest(\(tickers)::text[], \(types)::text[]) AS wanted (ticker, metric_type)
            JOIN metric USING (ticker, metric_type)
            """,
            logger: logger
        )
        var ids: [MetricKey: Int64] = [:]
        for try await (id, ticker, type, xid) in rows.decode((Int64, String, String, Int64).self) {
            ids[try StoredMetric(id: id, ticker: ticker, type: type, xid: xid).metric.key] = id
        }
        return (ids, created)
    }

    private static func findOrCreate(
        _ origins: Set<SampleOrigin>, on connection: GuardedConnection, logger: Logger
    ) async throws -> [SampleOrigin: Int32] {
        let sorted = origins.sorted { ($0.upstream, $0.kind.rawValue) < ($1.upstream, $1.kind.rawValue) }
        let upstreams = sorted.map(\.upstream)
        let kinds = sorted.map(\.kind.rawValue)
        try await connection.query(
            """
            INSERT INTO sample_origin (upstream, kind)
            SELECT * FROM unnest(\(upstreams)::text[], \(kinds)::text[])
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
        let rows = try await connection.query(
            """
            SELECT id, upstream, kind FROM sample_origin
            JOIN unnest(\(upstreams)::text[], \(kinds)::text[]) AS wanted (upstream, kind) USING (upstream, kind)
            """,
            logger: logger
        )
        var ids: [SampleOrigin: Int32] = [:]
        for try await (id, upstream, kind) in rows.decode((Int32, String, String).self) {
            guard let kind = SampleOrigin.Kind(rawValue: kind) else {
                throw StoreError.corruptRow(table: "sample_origin", reason: "unknown kind \"\(kind)\" for id \(id)")
            }
            ids[SampleOrigin(upstream: upstream, kind: kind)] = id
        }
        return ids
    }

    /// Records that the transaction added `count` samples between `first` and `last`, and prunes
    /// the feed now and then. Runs inside the writing transaction, so that the batch commits with
    /// its samples.
    private static func appendBatch(
        first: Int64, last: Int64, count: Int, on connection: GuardedConnection, logger: Logger
    ) async throws {
        guard count > 0 else { return }
        let rows = try await connection.query(
            """
            INSERT INTO sample_batch (first_timestamp_us, last_timestamp_us, sample_count)
            VALUES (\(first), \(last), \(Int32(clamping: count))) RETURNING id
            """,
            logger: logger
        )
        let id = try await rows.single(Int64.self) ?? 0
        guard id % 100 == 0 else { return }
        try await connection.query(
            """
            WITH pruned AS (DELETE FROM sample_batch WHERE id <= \(id - retainedBatches) RETURNING xid)
            UPDATE sample_batch_horizon SET pruned_through = greatest(pruned_through, (SELECT max(xid) FROM pruned))
            """,
            logger: logger
        )
    }

    // MARK: - Reading

    /// A metric row, with the transaction that created it.
    private struct StoredMetric {
        let metric: Metric
        let xid: Int64

        init(id: Int64, ticker: String, type: String, xid: Int64) throws {
            guard let metricType = MetricType(rawValue: type) else {
                throw StoreError.corruptRow(table: "metric", reason: "unknown metric_type \"\(type)\" for id \(id)")
            }
            do {
                metric = Metric(id: id, key: MetricKey(ticker: try Ticker(parsing: ticker), type: metricType))
            } catch {
                throw StoreError.corruptRow(table: "metric", reason: error.description)
            }
            self.xid = xid
        }
    }

    private static func metrics(_ query: PostgresQuery, on connection: GuardedConnection, logger: Logger) async throws -> [StoredMetric] {
        var metrics: [StoredMetric] = []
        for try await (id, ticker, type, xid) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, Int64).self)
        {
            metrics.append(try StoredMetric(id: id, ticker: ticker, type: type, xid: xid))
        }
        return metrics
    }

    /// Every metric's samples in a time range, one row per metric with its samples as two arrays:
    /// at millions of samples, arrays decode far faster than a row per sample.
    private static func readSeries(
        from: Int64, through: Int64, on connection: GuardedConnection, logger: Logger
    ) async throws -> [SampleColumns] {
        let rows = try await connection.query(
            """
            SELECT metric.id, series.timestamps, series.values
            FROM metric CROSS JOIN LATERAL (
                SELECT array_agg(timestamp_us ORDER BY timestamp_us) AS timestamps, array_agg(value ORDER BY timestamp_us) AS values
                FROM sample WHERE sample.metric_id = metric.id AND timestamp_us BETWEEN \(from) AND \(through)
            ) AS series
            WHERE series.timestamps IS NOT NULL
            ORDER BY metric.id
            """,
            logger: logger
        )
        var result: [SampleColumns] = []
        for try await (id, timestamps, values) in rows.decode((Int64, [Int64], [Double]).self) {
            result.append(SampleColumns(metricID: id, timestamps: SampleColumns.sized(timestamps), values: SampleColumns.sized(values)))
        }
        return result
    }
}

/// The first and last instants of what a write added.
private struct TimeSpan {
    var first = Int64.max
    var last = Int64.min

    mutating func include(_ timestamp: Int64) {
        first = min(first, timestamp)
        last = max(last, timestamp)
    }
}

extension PostgresRowSequence {
    /// The one value a query of one row and column answers; `nil` when it answers no row.
    func single<Value: PostgresDecodable & Sendable>(_ type: Value.Type) async throws -> Value? {
        var value: Value?
        for try await row in decode(Value.self) where value == nil { value = row }
        return value
    }
}

extension ByteBuffer {
    /// One row of COPY's text format: tab-separated, newline-terminated. Numbers need no escaping,
    /// and Swift's `description` of a finite Double is the shortest text that reads back exactly.
    fileprivate mutating func writeCopyRow(_ metricID: Int64, _ timestamp: Int64, _ value: Double, _ origin: Int32, line: Int? = nil) {
        if let line {
            writeDecimal(Int64(line))
            writeInteger(UInt8(ascii: "\t"))
        }
        writeDecimal(metricID)
        writeInteger(UInt8(ascii: "\t"))
        writeDecimal(timestamp)
        writeInteger(UInt8(ascii: "\t"))
        writeString(value.description)
        writeInteger(UInt8(ascii: "\t"))
        writeDecimal(Int64(origin))
        writeInteger(UInt8(ascii: "\n"))
    }

    /// An integer's decimal digits, written in place: millions of rows make `String(_:)` a cost.
    private mutating func writeDecimal(_ value: Int64) {
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let count = withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            return buffer.count - index
        }
        withUnsafeBytes(of: &digits) { buffer in
            _ = writeBytes(UnsafeRawBufferPointer(rebasing: buffer[(buffer.count - count)...]))
        }
    }

}
