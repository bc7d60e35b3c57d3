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
        migrator.registerMigration("v2-sample-batches") { db in
            try db.execute(
                sql: """
                    -- The change feed: one row per write transaction that added samples, committed
                    -- with them. API instances read the rows after the last one they saw and fetch
                    -- the samples in that time range, so that a sample any process stores reaches
                    -- every instance's statistics. AUTOINCREMENT: an id is never reused.
                    CREATE TABLE sample_batch (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        first_timestamp_us INTEGER NOT NULL,
                        last_timestamp_us INTEGER NOT NULL,
                        sample_count INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v3-sample-origins") { db in
            try db.execute(
                sql: """
                    -- Which upstream served each sample, and how (poll, backfill, import): a small
                    -- table of the few distinct origins, so that a sample row grows by one byte.
                    CREATE TABLE sample_origin (
                        id INTEGER PRIMARY KEY,
                        upstream TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('poll', 'backfill', 'import')),
                        UNIQUE (upstream, kind)
                    );
                    -- NULL for samples stored before origins were recorded.
                    ALTER TABLE sample ADD COLUMN origin_id INTEGER REFERENCES sample_origin(id);
                    """
            )
        }
        migrator.registerMigration("v4-api-keys") { db in
            try db.execute(
                sql: """
                    -- Keys for the write endpoints: the SHA-256 of each secret, never the secret.
                    -- A revoked key stays, so that its name is not given to another.
                    CREATE TABLE api_key (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        secret_sha256 TEXT NOT NULL UNIQUE,
                        created_us INTEGER NOT NULL,
                        revoked_us INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v5-subscriptions") { db in
            try db.execute(
                sql: """
                    -- Alert subscriptions, each owned by the API key that made it. The rule is kept as
                    -- its canonical JSON; the state (where the rule stands) beside it, so that every
                    -- instance continues from the same point.
                    CREATE TABLE subscription (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        owner_key_id INTEGER NOT NULL REFERENCES api_key(id),
                        metric_id INTEGER NOT NULL,
                        rule TEXT NOT NULL,
                        webhook_url TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        paused INTEGER NOT NULL DEFAULT 0,
                        status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'firing')),
                        streak INTEGER NOT NULL DEFAULT 0,
                        episode INTEGER NOT NULL DEFAULT 0,
                        last_sent_us INTEGER,
                        episode_sent INTEGER NOT NULL DEFAULT 0,
                        created_us INTEGER NOT NULL,
                        updated_us INTEGER NOT NULL
                    );
                    CREATE INDEX subscription_by_owner ON subscription (owner_key_id, id);
                    CREATE INDEX subscription_by_metric ON subscription (metric_id);
                    """
            )
        }
        migrator.registerMigration("v6-alert-outbox") { db in
            try db.execute(
                sql: """
                    -- The detectors move a subscription's state only from the revision they read.
                    ALTER TABLE subscription ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE subscription ADD COLUMN judged_us INTEGER;
                    -- The outbox: one event per subscription, episode and kind, however many
                    -- detectors saw it; dispatchers lease due events, one per subscription at a time.
                    CREATE TABLE alert_event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        subscription_id INTEGER NOT NULL REFERENCES subscription(id) ON DELETE CASCADE,
                        episode INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('alert.firing', 'alert.resolved')),
                        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'suppressed')),
                        data TEXT NOT NULL,
                        sample_us INTEGER NOT NULL,
                        created_us INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_us INTEGER,
                        retry_until_us INTEGER,
                        lease_holder TEXT,
                        lease_until_us INTEGER,
                        delivered_us INTEGER,
                        last_error TEXT,
                        UNIQUE (subscription_id, episode, kind)
                    );
                    CREATE INDEX alert_event_pending ON alert_event (subscription_id, id) WHERE status = 'pending';
                    CREATE INDEX alert_event_due ON alert_event (next_attempt_us) WHERE status = 'pending';
                    -- Every attempt to deliver an event, kept for GET /subscriptions/{id}/deliveries.
                    CREATE TABLE alert_delivery (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        event_id INTEGER NOT NULL REFERENCES alert_event(id) ON DELETE CASCADE,
                        subscription_id INTEGER NOT NULL,
                        attempted_us INTEGER NOT NULL,
                        latency_us INTEGER NOT NULL,
                        status_code INTEGER,
                        error TEXT,
                        outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead', 'gone')),
                        next_attempt_us INTEGER
                    );
                    CREATE INDEX alert_delivery_by_subscription ON alert_delivery (subscription_id, id);
                    CREATE INDEX alert_delivery_by_event ON alert_delivery (event_id);
                    """
            )
        }
        return migrator
    }
}
