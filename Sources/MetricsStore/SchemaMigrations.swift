import GRDB

/// The schema, as named, append-only migrations: a shipped migration is never edited, a change
/// is a new one.
enum SchemaMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-metrics-and-samples") { db in
            try db.execute(
                sql: """
                    CREATE TABLE metric (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ticker TEXT NOT NULL,
                        metric_type TEXT NOT NULL,
                        UNIQUE (ticker, metric_type)
                    );
                    -- Clustered by (metric_id, timestamp_us): one metric's samples in a time range
                    -- are one contiguous range scan, which is every read the API makes.
                    CREATE TABLE sample (
                        metric_id INTEGER NOT NULL REFERENCES metric(id),
                        timestamp_us INTEGER NOT NULL,
                        value REAL NOT NULL,
                        PRIMARY KEY (metric_id, timestamp_us)
                    ) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }
}
