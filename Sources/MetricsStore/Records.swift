import GRDB
import MetricsCore

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
    static let insertSQL = "INSERT INTO sample (metric_id, timestamp_us, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
}
