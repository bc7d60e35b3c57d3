import Logging
import MetricsCore
import MetricsStore
import PostgresNIO

extension PostgresMetricStore: SubscriptionStore {
    typealias SubscriptionColumns = (
        Int64, Int64, Int64, String, String, Bool, String, Int, Int64, Int64?, Bool, Int64, Int64, Int64, Int64?
    )

    public func createSubscription(_ draft: SubscriptionDraft, at time: Timestamp) async throws -> Subscription {
        let now = time.microsecondsSince1970
        return try await client.withConnection { connection in
            try await Self.subscriptions(
                connection.query(
                    """
                    INSERT INTO subscription (owner_key_id, metric_id, rule, webhook_url, secret, created_us, updated_us)
                    VALUES (\(draft.owner), \(draft.metricID), \(draft.rule.json), \(draft.webhookURL), \(draft.secret), \(now), \(now))
                    RETURNING id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                        episode_sent, created_us, updated_us, revision, judged_us
                    """,
                    logger: logger)
            ).first!
        }
    }

    public func subscriptions(of owner: Int64, after: Int64?, limit: Int) async throws -> [Subscription] {
        try await client.withConnection { connection in
            try await Self.subscriptions(
                connection.query(
                    """
                    SELECT id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                        episode_sent, created_us, updated_us, revision, judged_us
                    FROM subscription WHERE owner_key_id = \(owner) AND id > \(after ?? 0) ORDER BY id LIMIT \(limit)
                    """,
                    logger: logger))
        }
    }

    public func subscription(_ id: Int64, of owner: Int64) async throws -> Subscription? {
        try await client.withConnection { connection in
            try await Self.subscription(id, of: owner, on: connection, logger: logger, lock: false)
        }
    }

    public func updateSubscription(_ id: Int64, of owner: Int64, _ change: SubscriptionChange, at time: Timestamp) async throws
        -> Subscription?
    {
        try await inTransaction { connection in
            guard let old = try await Self.subscription(id, of: owner, on: connection, logger: logger, lock: true) else { return nil }
            let state = change.rule == nil ? old.state : old.state.restarted()
            return try await Self.subscriptions(
                connection.query(
                    """
                    UPDATE subscription SET rule = \((change.rule ?? old.rule).json), paused = \(change.paused ?? old.paused),
                        status = \(state.status.rawValue), streak = \(state.streak), episode = \(Int64(state.episode)),
                        last_sent_us = \(state.lastSent?.microsecondsSince1970), episode_sent = \(state.episodeSent),
                        updated_us = \(time.microsecondsSince1970), revision = revision + 1
                    WHERE id = \(id)
                    RETURNING id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                        episode_sent, created_us, updated_us, revision, judged_us
                    """,
                    logger: logger)
            ).first
        }
    }

    public func deleteSubscription(_ id: Int64, of owner: Int64) async throws -> Bool {
        try await client.withConnection { connection in
            try await connection.query(
                "DELETE FROM subscription WHERE id = \(id) AND owner_key_id = \(owner) RETURNING id", logger: logger
            ).single(Int64.self) != nil
        }
    }

    private static func subscription(
        _ id: Int64, of owner: Int64, on connection: GuardedConnection, logger: Logger, lock: Bool
    ) async throws -> Subscription? {
        let query: PostgresQuery =
            lock
            ? """
            SELECT id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                episode_sent, created_us, updated_us, revision, judged_us
            FROM subscription WHERE id = \(id) AND owner_key_id = \(owner) FOR UPDATE
            """
            : """
            SELECT id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                episode_sent, created_us, updated_us, revision, judged_us
            FROM subscription WHERE id = \(id) AND owner_key_id = \(owner)
            """
        return try await subscriptions(connection.query(query, logger: logger)).first
    }

    static func subscriptions(_ rows: PostgresRowSequence) async throws -> [Subscription] {
        var subscriptions: [Subscription] = []
        for try await row in rows.decode(SubscriptionColumns.self) {
            let (id, owner, metric, rule, url, paused, status, streak, episode, lastSent, episodeSent, created, updated, revision, judged) =
                row
            subscriptions.append(
                try Subscription(
                    stored: id, owner: owner, metricID: metric, ruleJSON: rule, webhookURL: url, paused: paused, status: status,
                    streak: streak, episode: episode, lastSentMicroseconds: lastSent, episodeSent: episodeSent,
                    createdMicroseconds: created, updatedMicroseconds: updated, revision: revision, judgedMicroseconds: judged))
        }
        return subscriptions
    }
}
