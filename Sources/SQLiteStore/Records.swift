import GRDB
import MetricsCore
import MetricsStore

/// A row of `metric`: one (ticker, metric_type) series.
struct MetricRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "metric"

    var id: Int64
    var ticker: String
    var metricType: String

    enum CodingKeys: String, CodingKey {
        case id, ticker
        case metricType = "metric_type"
    }

    func metric() throws -> Metric {
        guard let type = MetricType(rawValue: metricType) else {
            throw StoreError.corruptRow(table: Self.databaseTableName, reason: "unknown metric_type \"\(metricType)\" for id \(id)")
        }
        do {
            return Metric(id: id, key: MetricKey(ticker: try Ticker(parsing: ticker), type: type))
        } catch {
            throw StoreError.corruptRow(table: Self.databaseTableName, reason: error.description)
        }
    }

    /// The id of `key`'s metric, inserting it first when it is new. Safe against another process
    /// creating the same metric at the same moment: the unique key decides, and both read its id.
    static func findOrCreate(_ key: MetricKey, in db: Database) throws -> (id: Int64, created: Bool) {
        try db.execute(
            sql: "INSERT INTO metric (ticker, metric_type) VALUES (?, ?) ON CONFLICT DO NOTHING",
            arguments: [key.ticker.description, key.type.rawValue]
        )
        let created = db.changesCount > 0
        let id = try Int64.fetchOne(
            db,
            sql: "SELECT id FROM metric WHERE ticker = ? AND metric_type = ?",
            arguments: [key.ticker.description, key.type.rawValue]
        )!
        return (id, created)
    }
}

/// A row of `sample`. Written with raw SQL in bulk; this type documents the columns.
enum SampleRecord {
    /// Keeps the first value stored for a metric at a timestamp: a repeated import or a second
    /// poller at the same instant never overwrites what is there.
    static let insertSQL =
        "INSERT INTO sample (metric_id, timestamp_us, value, origin_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
}

/// A row of `sample_origin`: one (upstream, kind) pair that samples point to.
enum SampleOriginRecord {
    /// The id of `origin`, inserting it first when it is new; safe against another process doing
    /// the same at the same moment, as ``MetricRecord/findOrCreate(_:in:)`` is.
    static func findOrCreate(_ origin: SampleOrigin, in db: Database) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO sample_origin (upstream, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
            arguments: [origin.upstream, origin.kind.rawValue]
        )
        return try Int64.fetchOne(
            db,
            sql: "SELECT id FROM sample_origin WHERE upstream = ? AND kind = ?",
            arguments: [origin.upstream, origin.kind.rawValue]
        )!
    }
}

/// A row of `sample_batch`: the change feed that API instances follow.
enum SampleBatchRecord {
    /// How many batches the feed keeps. An instance that falls further behind (about 2.8 hours at
    /// one cycle a second) reloads everything instead.
    static let retainedBatches: Int64 = 10_000

    /// Records that a transaction added `count` samples between `first` and `last`, and prunes
    /// the feed. Runs inside the writing transaction, so that the batch commits with its samples.
    static func append(first: Int64, last: Int64, count: Int, in db: Database) throws {
        guard count > 0 else { return }
        try db.execute(
            sql: "INSERT INTO sample_batch (first_timestamp_us, last_timestamp_us, sample_count) VALUES (?, ?, ?)",
            arguments: [first, last, count]
        )
        let id = db.lastInsertedRowID
        if id % 100 == 0 {
            try db.execute(sql: "DELETE FROM sample_batch WHERE id <= ?", arguments: [id - retainedBatches])
        }
    }
}
