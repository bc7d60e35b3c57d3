import GRDB
import MetricsCore
import MetricsStore

extension SQLiteMetricStore: SubscriptionStore {
    static let subscriptionColumns = """
        id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us, episode_sent,
        created_us, updated_us, revision, judged_us
        """

    public func createSubscription(_ draft: SubscriptionDraft, at time: Timestamp) async throws -> Subscription {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO subscription (owner_key_id, metric_id, rule, webhook_url, secret, created_us, updated_us)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    draft.owner, draft.metricID, draft.rule.json, draft.webhookURL, draft.secret, time.microsecondsSince1970,
                    time.microsecondsSince1970,
                ]
            )
            return try Self.subscription(db, id: db.lastInsertedRowID)!
        }
    }

    public func subscriptions(of owner: Int64, after: Int64?, limit: Int) async throws -> [Subscription] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.subscriptionColumns) FROM subscription WHERE owner_key_id = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [owner, after ?? 0, limit]
            ).map(Self.subscription)
        }
    }

    public func subscription(_ id: Int64, of owner: Int64) async throws -> Subscription? {
        try await pool.read { db in
            try Self.subscription(db, id: id).flatMap { $0.owner == owner ? $0 : nil }
        }
    }

    public func updateSubscription(_ id: Int64, of owner: Int64, _ change: SubscriptionChange, at time: Timestamp) async throws
        -> Subscription?
    {
        try await pool.write { db in
            guard let old = try Self.subscription(db, id: id), old.owner == owner else { return nil }
            let state = change.rule == nil ? old.state : old.state.restarted()
            try db.execute(
                sql: """
                    UPDATE subscription SET rule = ?, paused = ?, status = ?, streak = ?, episode = ?, last_sent_us = ?,
                        episode_sent = ?, updated_us = ?, revision = revision + 1
                    WHERE id = ?
                    """,
                arguments: [
                    (change.rule ?? old.rule).json, change.paused ?? old.paused, state.status.rawValue, state.streak, state.episode,
                    state.lastSent?.microsecondsSince1970, state.episodeSent, time.microsecondsSince1970, id,
                ]
            )
            return try Self.subscription(db, id: id)
        }
    }

    public func deleteSubscription(_ id: Int64, of owner: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM subscription WHERE id = ? AND owner_key_id = ?", arguments: [id, owner])
            return db.changesCount > 0
        }
    }

    static func subscription(_ db: Database, id: Int64) throws -> Subscription? {
        try Row.fetchOne(db, sql: "SELECT \(subscriptionColumns) FROM subscription WHERE id = ?", arguments: [id]).map(subscription)
    }

    static func subscription(_ row: Row) throws -> Subscription {
        try Subscription(
            stored: row["id"], owner: row["owner_key_id"], metricID: row["metric_id"], ruleJSON: row["rule"],
            webhookURL: row["webhook_url"],
            paused: row["paused"], status: row["status"], streak: row["streak"], episode: row["episode"],
            lastSentMicroseconds: row["last_sent_us"], episodeSent: row["episode_sent"], createdMicroseconds: row["created_us"],
            updatedMicroseconds: row["updated_us"], revision: row["revision"], judgedMicroseconds: row["judged_us"])
    }
}
