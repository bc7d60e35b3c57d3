import GRDB
import MetricsCore
import MetricsStore

/// The outbox in SQLite: its one writer serializes every claim, so a lease is simply a column.
extension SQLiteMetricStore: AlertOutbox {
    private static let eventColumns = """
        id, subscription_id, kind, episode, status, sample_us, created_us, data, attempts, next_attempt_us, delivered_us, last_error
        """

    public func watchedSubscriptions() async throws -> [Subscription] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.subscriptionColumns) FROM subscription
                    WHERE NOT paused AND owner_key_id IN (SELECT id FROM api_key WHERE revoked_us IS NULL) ORDER BY id
                    """
            ).map(Self.subscription)
        }
    }

    public func advance(_ advances: [AlertAdvance]) async throws -> [AlertAdvanceResult] {
        guard !advances.isEmpty else { return [] }
        return try await pool.write { db in try advances.map { try Self.advance($0, in: db) } }
    }

    private static func advance(_ advance: AlertAdvance, in db: Database) throws -> AlertAdvanceResult {
        guard let current = try watchedSubscription(db, id: advance.subscriptionID) else { return .conflict(nil) }
        guard current.revision == advance.expectedRevision else { return .conflict(current) }
        let state = advance.state
        try db.execute(
            sql: """
                UPDATE subscription SET status = ?, streak = ?, episode = ?, last_sent_us = ?, episode_sent = ?, judged_us = ?,
                    revision = revision + 1
                WHERE id = ?
                """,
            arguments: [
                state.status.rawValue, state.streak, state.episode, state.lastSent?.microsecondsSince1970, state.episodeSent,
                advance.judgedThrough.microsecondsSince1970, current.id,
            ])
        let now = advance.at.microsecondsSince1970
        var recorded: [Int64] = []
        for event in advance.events {
            // A firing held back by the cooldown and sent later is the same event, now due.
            try db.execute(
                sql: """
                    INSERT INTO alert_event (subscription_id, episode, kind, status, data, sample_us, created_us, next_attempt_us)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (subscription_id, episode, kind) DO UPDATE SET
                        status = 'pending', data = excluded.data, next_attempt_us = excluded.next_attempt_us
                    WHERE alert_event.status = 'suppressed' AND excluded.status = 'pending'
                    """,
                arguments: [
                    current.id, event.episode, event.kind.rawValue, event.isSent ? "pending" : "suppressed", event.data,
                    event.sampleTime.microsecondsSince1970, now, event.isSent ? now : nil,
                ])
            if db.changesCount > 0 {
                if let id = try Int64.fetchOne(
                    db, sql: "SELECT id FROM alert_event WHERE subscription_id = ? AND episode = ? AND kind = ?",
                    arguments: [current.id, event.episode, event.kind.rawValue])
                {
                    recorded.append(id)
                }
            }
        }
        return .advanced(revision: current.revision + 1, events: recorded)
    }

    public func claimEvents(limit: Int, holder: String, now: Timestamp, leaseUntil: Timestamp) async throws -> [ClaimedEvent] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id AS id, e.subscription_id, e.kind, e.episode, e.status, e.sample_us, e.created_us, e.data, e.attempts,
                        e.next_attempt_us, e.delivered_us, e.last_error, e.retry_until_us, s.webhook_url, s.secret
                    FROM alert_event e
                    JOIN subscription s ON s.id = e.subscription_id AND NOT s.paused
                    JOIN api_key k ON k.id = s.owner_key_id AND k.revoked_us IS NULL
                    WHERE e.status = 'pending' AND e.next_attempt_us <= :now AND coalesce(e.lease_until_us, 0) <= :now
                        AND e.id = (SELECT min(g.id) FROM alert_event g WHERE g.subscription_id = e.subscription_id AND g.status = 'pending')
                    ORDER BY e.next_attempt_us, e.id
                    LIMIT :limit
                    """,
                arguments: ["now": now.microsecondsSince1970, "limit": limit])
            let firstRetryEnd = now.microsecondsSince1970 + DeliveryRetention.retryWindowMicroseconds
            return try rows.map { row in
                let event = try Self.event(row)
                let retryUntil: Int64 = row["retry_until_us"] ?? firstRetryEnd
                try db.execute(
                    sql: "UPDATE alert_event SET lease_holder = ?, lease_until_us = ?, retry_until_us = ? WHERE id = ?",
                    arguments: [holder, leaseUntil.microsecondsSince1970, retryUntil, event.id])
                return ClaimedEvent(
                    event: event, webhookURL: row["webhook_url"], secret: row["secret"],
                    retryUntil: Timestamp(microsecondsSince1970: retryUntil))
            }
        }
    }

    public func complete(_ attempts: [DeliveryAttempt], holder: String) async throws {
        guard !attempts.isEmpty else { return }
        try await pool.write { db in
            for attempt in attempts {
                guard
                    let subscription = try Int64.fetchOne(
                        db, sql: "SELECT subscription_id FROM alert_event WHERE id = ?", arguments: [attempt.eventID])
                else { continue }
                var retryAt: Int64? = nil
                if case .retry(let time) = attempt.outcome { retryAt = time.microsecondsSince1970 }
                try db.execute(
                    sql: """
                        INSERT INTO alert_delivery (event_id, subscription_id, attempted_us, latency_us, status_code, error, outcome,
                            next_attempt_us)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        attempt.eventID, subscription, attempt.attemptedAt.microsecondsSince1970, attempt.latencyMicroseconds,
                        attempt.statusCode, attempt.error, attempt.outcome.name, retryAt,
                    ])
                let status: AlertEvent.Status =
                    switch attempt.outcome {
                    case .delivered: .delivered
                    case .retry: .pending
                    case .dead, .gone: .dead
                    }
                try db.execute(
                    sql: """
                        UPDATE alert_event SET status = ?, attempts = attempts + 1, next_attempt_us = ?, last_error = ?,
                            delivered_us = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_us END,
                            lease_holder = NULL, lease_until_us = NULL
                        WHERE id = ? AND lease_holder = ? AND status = 'pending'
                        """,
                    arguments: [
                        status.rawValue, retryAt, attempt.error, status.rawValue, attempt.attemptedAt.microsecondsSince1970,
                        attempt.eventID, holder,
                    ])
                if case .gone = attempt.outcome, db.changesCount > 0 {
                    try db.execute(
                        sql: "UPDATE subscription SET paused = 1, updated_us = ?, revision = revision + 1 WHERE id = ?",
                        arguments: [attempt.attemptedAt.microsecondsSince1970, subscription])
                }
            }
        }
    }

    public func release(event: Int64, holder: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE alert_event SET lease_holder = NULL, lease_until_us = NULL WHERE id = ? AND lease_holder = ?",
                arguments: [event, holder])
        }
    }

    public func pruneSettledEvents(before cutoff: Timestamp) async throws -> Int {
        try await pool.write { db in
            // Their attempts go with them (ON DELETE CASCADE).
            try db.execute(
                sql: "DELETE FROM alert_event WHERE status IN ('delivered', 'dead', 'suppressed') AND created_us < ?",
                arguments: [cutoff.microsecondsSince1970])
            return db.changesCount
        }
    }

    public func nextDueTime() async throws -> Timestamp? {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT min(max(e.next_attempt_us, coalesce(e.lease_until_us, 0))) FROM alert_event e
                    JOIN subscription s ON s.id = e.subscription_id AND NOT s.paused
                    JOIN api_key k ON k.id = s.owner_key_id AND k.revoked_us IS NULL
                    WHERE e.status = 'pending'
                        AND e.id = (SELECT min(g.id) FROM alert_event g WHERE g.subscription_id = e.subscription_id AND g.status = 'pending')
                    """
            ).map(Timestamp.init(microsecondsSince1970:))
        }
    }

    public func events(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [AlertEvent]? {
        try await pool.read { db in
            guard try Self.owns(db, owner: owner, subscription: subscription) else { return nil }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.eventColumns) FROM alert_event WHERE subscription_id = ? AND id < ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [subscription, before ?? Int64.max, limit]
            ).map(Self.event)
        }
    }

    public func recordedEvents(after cursor: ChangeCursor?) async throws -> RecordedAlertEvents {
        // Ids are never reused (AUTOINCREMENT) and writers are serialized: "after my last id"
        // misses nothing.
        try await pool.read { db in
            let newest = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM alert_event") ?? 0
            guard let last = cursor?.position.first else {
                return RecordedAlertEvents(events: [], cursor: ChangeCursor(position: [newest]))
            }
            let events = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.eventColumns),
                        (SELECT owner_key_id FROM subscription WHERE subscription.id = alert_event.subscription_id) AS owner
                    FROM alert_event WHERE id > ? ORDER BY id
                    """,
                arguments: [last]
            ).map { row in RecordedAlertEvents.Owned(event: try Self.event(row), owner: row["owner"]) }
            return RecordedAlertEvents(events: events, cursor: ChangeCursor(position: [max(last, newest)]))
        }
    }

    public func deliveryAttempts(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [RecordedAttempt]? {
        try await pool.read { db in
            guard try Self.owns(db, owner: owner, subscription: subscription) else { return nil }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, event_id, attempted_us, latency_us, status_code, error, outcome, next_attempt_us FROM alert_delivery
                    WHERE subscription_id = ? AND id < ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [subscription, before ?? Int64.max, limit]
            ).map { row in
                RecordedAttempt(
                    id: row["id"],
                    attempt: try DeliveryAttempt(
                        stored: row["event_id"], attemptedMicroseconds: row["attempted_us"], latencyMicroseconds: row["latency_us"],
                        statusCode: row["status_code"], error: row["error"], outcome: row["outcome"],
                        nextAttemptMicroseconds: row["next_attempt_us"]
                    ))
            }
        }
    }

    public func redeliver(event id: Int64, of subscription: Int64, owner: Int64, at now: Timestamp) async throws -> RedeliveryResult {
        try await pool.write { db in
            guard try Self.owns(db, owner: owner, subscription: subscription),
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM alert_event WHERE id = ? AND subscription_id = ?)",
                    arguments: [id, subscription])
                    == true
            else { return .notFound }
            let time = now.microsecondsSince1970
            let leased =
                try Bool.fetchOne(
                    db,
                    sql:
                        "SELECT EXISTS (SELECT 1 FROM alert_event WHERE subscription_id = ? AND status = 'pending' AND lease_until_us > ?)",
                    arguments: [subscription, time]) ?? false
            if leased { return .inFlight }
            try db.execute(
                sql: """
                    UPDATE alert_event SET status = 'pending', next_attempt_us = ?, retry_until_us = NULL, attempts = 0,
                        lease_holder = NULL, lease_until_us = NULL
                    WHERE id = ?
                    """,
                arguments: [time, id])
            guard let event = try Row.fetchOne(db, sql: "SELECT \(Self.eventColumns) FROM alert_event WHERE id = ?", arguments: [id])
            else { return .notFound }
            return .scheduled(try Self.event(event))
        }
    }

    private static func watchedSubscription(_ db: Database, id: Int64) throws -> Subscription? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT \(subscriptionColumns) FROM subscription
                WHERE id = ? AND NOT paused AND owner_key_id IN (SELECT id FROM api_key WHERE revoked_us IS NULL)
                """,
            arguments: [id]
        ).map(subscription)
    }

    private static func owns(_ db: Database, owner: Int64, subscription: Int64) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM subscription WHERE id = ? AND owner_key_id = ?)", arguments: [subscription, owner])
            ?? false
    }

    private static func event(_ row: Row) throws -> AlertEvent {
        try AlertEvent(
            stored: row["id"], subscriptionID: row["subscription_id"], kind: row["kind"], episode: row["episode"], status: row["status"],
            sampleMicroseconds: row["sample_us"], createdMicroseconds: row["created_us"], data: row["data"], attempts: row["attempts"],
            nextAttemptMicroseconds: row["next_attempt_us"], deliveredMicroseconds: row["delivered_us"], lastError: row["last_error"])
    }
}
