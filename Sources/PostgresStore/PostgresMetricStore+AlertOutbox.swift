import Logging
import MetricsCore
import MetricsStore
import PostgresNIO

/// The outbox in PostgreSQL: every instance's dispatcher claims from the same table, with
/// `FOR UPDATE SKIP LOCKED` so that two never take the same event and none waits for another.
extension PostgresMetricStore: AlertOutbox {
    private typealias EventColumns = (Int64, Int64, String, Int64, String, Int64, Int64, String, Int, Int64?, Int64?, String?)
    private typealias ClaimColumns = (
        Int64, Int64, String, Int64, String, Int64, Int64, String, Int, Int64?, Int64?, String?, Int64, String, String
    )

    public func watchedSubscriptions() async throws -> [Subscription] {
        try await client.withConnection { connection in
            try await Self.subscriptions(
                connection.query(
                    """
                    SELECT id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                        episode_sent, created_us, updated_us, revision, judged_us
                    FROM subscription
                    WHERE NOT paused AND owner_key_id IN (SELECT id FROM api_key WHERE revoked_us IS NULL) ORDER BY id
                    """,
                    logger: logger))
        }
    }

    public func advance(_ advances: [AlertAdvance]) async throws -> [AlertAdvanceResult] {
        guard !advances.isEmpty else { return [] }
        return try await inTransaction { connection in
            var results: [AlertAdvanceResult] = []
            for advance in advances { results.append(try await Self.advance(advance, on: connection, logger: logger)) }
            return results
        }
    }

    private static func advance(_ advance: AlertAdvance, on connection: GuardedConnection, logger: Logger) async throws
        -> AlertAdvanceResult
    {
        let state = advance.state
        let now = advance.at.microsecondsSince1970
        let revision = try await connection.query(
            """
            UPDATE subscription SET status = \(state.status.rawValue), streak = \(state.streak), episode = \(Int64(state.episode)),
                last_sent_us = \(state.lastSent?.microsecondsSince1970), episode_sent = \(state.episodeSent),
                judged_us = \(advance.judgedThrough.microsecondsSince1970), revision = revision + 1
            WHERE id = \(advance.subscriptionID) AND revision = \(advance.expectedRevision) AND NOT paused
                AND owner_key_id IN (SELECT id FROM api_key WHERE revoked_us IS NULL)
            RETURNING revision
            """,
            logger: logger
        ).single(Int64.self)
        guard let revision else {
            let current = try await subscriptions(
                connection.query(
                    """
                    SELECT id, owner_key_id, metric_id, rule, webhook_url, paused, status, streak, episode, last_sent_us,
                        episode_sent, created_us, updated_us, revision, judged_us
                    FROM subscription
                    WHERE id = \(advance.subscriptionID) AND NOT paused
                        AND owner_key_id IN (SELECT id FROM api_key WHERE revoked_us IS NULL)
                    """,
                    logger: logger)
            ).first
            return .conflict(current)
        }
        var recorded: [Int64] = []
        for event in advance.events {
            // A firing held back by the cooldown and sent later is the same event, now due.
            let id = try await connection.query(
                """
                INSERT INTO alert_event (subscription_id, episode, kind, status, data, sample_us, created_us, next_attempt_us)
                VALUES (\(advance.subscriptionID), \(Int64(event.episode)), \(event.kind.rawValue),
                    \(event.isSent ? "pending" : "suppressed"), \(event.data), \(event.sampleTime.microsecondsSince1970), \(now),
                    \(event.isSent ? now : nil))
                ON CONFLICT (subscription_id, episode, kind) DO UPDATE SET
                    status = 'pending', data = excluded.data, next_attempt_us = excluded.next_attempt_us
                WHERE alert_event.status = 'suppressed' AND excluded.status = 'pending'
                RETURNING id
                """,
                logger: logger
            ).single(Int64.self)
            if let id { recorded.append(id) }
        }
        return .advanced(revision: revision, events: recorded)
    }

    public func claimEvents(limit: Int, holder: String, now: Timestamp, leaseUntil: Timestamp) async throws -> [ClaimedEvent] {
        let time = now.microsecondsSince1970
        return try await client.withConnection { connection in
            var claimed: [ClaimedEvent] = []
            let rows = try await connection.query(
                """
                UPDATE alert_event e SET lease_holder = \(holder), lease_until_us = \(leaseUntil.microsecondsSince1970),
                    retry_until_us = coalesce(e.retry_until_us, \(time + DeliveryRetention.retryWindowMicroseconds))
                FROM subscription s
                WHERE s.id = e.subscription_id AND e.id IN (
                    SELECT c.id FROM alert_event c
                    JOIN subscription cs ON cs.id = c.subscription_id AND NOT cs.paused
                    JOIN api_key k ON k.id = cs.owner_key_id AND k.revoked_us IS NULL
                    WHERE c.status = 'pending' AND c.next_attempt_us <= \(time) AND coalesce(c.lease_until_us, 0) <= \(time)
                        AND c.id = (SELECT min(g.id) FROM alert_event g WHERE g.subscription_id = c.subscription_id AND g.status = 'pending')
                        -- A redelivery may have made an older event the oldest while a newer one
                        -- is out: one at a time all the same.
                        AND NOT EXISTS (
                            SELECT 1 FROM alert_event l
                            WHERE l.subscription_id = c.subscription_id AND l.status = 'pending' AND l.lease_until_us > \(time))
                    ORDER BY c.next_attempt_us, c.id
                    LIMIT \(limit)
                    FOR UPDATE OF c SKIP LOCKED)
                RETURNING e.id, e.subscription_id, e.kind, e.episode, e.status, e.sample_us, e.created_us, e.data, e.attempts,
                    e.next_attempt_us, e.delivered_us, e.last_error, e.retry_until_us, s.webhook_url, s.secret
                """,
                logger: logger)
            for try await row in rows.decode(ClaimColumns.self) {
                let (id, subscription, kind, episode, status, sample, created, data, attempts, next, delivered, error, until, url, secret) =
                    row
                claimed.append(
                    ClaimedEvent(
                        event: try AlertEvent(
                            stored: id, subscriptionID: subscription, kind: kind, episode: episode, status: status,
                            sampleMicroseconds: sample,
                            createdMicroseconds: created, data: data, attempts: attempts, nextAttemptMicroseconds: next,
                            deliveredMicroseconds: delivered, lastError: error),
                        webhookURL: url, secret: secret, retryUntil: Timestamp(microsecondsSince1970: until)))
            }
            return claimed.sorted {
                ($0.event.nextAttemptAt?.microsecondsSince1970 ?? 0, $0.event.id) < (
                    $1.event.nextAttemptAt?.microsecondsSince1970 ?? 0, $1.event.id
                )
            }
        }
    }

    public func complete(_ attempts: [DeliveryAttempt], holder: String) async throws {
        guard !attempts.isEmpty else { return }
        try await inTransaction { connection in
            for attempt in attempts {
                var retryAt: Int64? = nil
                if case .retry(let time) = attempt.outcome { retryAt = time.microsecondsSince1970 }
                let status: AlertEvent.Status =
                    switch attempt.outcome {
                    case .delivered: .delivered
                    case .retry: .pending
                    case .dead, .gone: .dead
                    }
                let attempted = attempt.attemptedAt.microsecondsSince1970
                try await connection.query(
                    """
                    INSERT INTO alert_delivery (event_id, subscription_id, attempted_us, latency_us, status_code, error, outcome,
                        next_attempt_us)
                    SELECT id, subscription_id, \(attempted), \(attempt.latencyMicroseconds), \(attempt.statusCode), \(attempt.error),
                        \(attempt.outcome.name), \(retryAt)
                    FROM alert_event WHERE id = \(attempt.eventID)
                    """,
                    logger: logger)
                let subscription = try await connection.query(
                    """
                    UPDATE alert_event SET status = \(status.rawValue), attempts = attempts + 1, next_attempt_us = \(retryAt),
                        last_error = \(attempt.error),
                        delivered_us = CASE WHEN \(status.rawValue) = 'delivered' THEN \(attempted) ELSE delivered_us END,
                        lease_holder = NULL, lease_until_us = NULL
                    WHERE id = \(attempt.eventID) AND lease_holder = \(holder) AND status = 'pending'
                    RETURNING subscription_id
                    """,
                    logger: logger
                ).single(Int64.self)
                if case .gone = attempt.outcome, let subscription {
                    try await connection.query(
                        "UPDATE subscription SET paused = true, updated_us = \(attempted), revision = revision + 1 WHERE id = \(subscription)",
                        logger: logger)
                }
            }
        }
    }

    public func release(event: Int64, holder: String) async throws {
        try await client.withConnection { connection in
            _ = try await connection.query(
                "UPDATE alert_event SET lease_holder = NULL, lease_until_us = NULL WHERE id = \(event) AND lease_holder = \(holder)",
                logger: logger)
        }
    }

    public func pruneSettledEvents(before cutoff: Timestamp) async throws -> Int {
        try await client.withConnection { connection in
            // Their attempts go with them (ON DELETE CASCADE).
            var count = 0
            let rows = try await connection.query(
                """
                DELETE FROM alert_event WHERE status IN ('delivered', 'dead', 'suppressed') AND created_us < \(cutoff.microsecondsSince1970)
                RETURNING id
                """,
                logger: logger)
            for try await _ in rows.decode(Int64.self) { count += 1 }
            return count
        }
    }

    public func nextDueTime() async throws -> Timestamp? {
        try await client.withConnection { connection in
            try await connection.query(
                """
                SELECT min(greatest(e.next_attempt_us, coalesce(e.lease_until_us, 0))) FROM alert_event e
                JOIN subscription s ON s.id = e.subscription_id AND NOT s.paused
                JOIN api_key k ON k.id = s.owner_key_id AND k.revoked_us IS NULL
                WHERE e.status = 'pending'
                    AND e.id = (SELECT min(g.id) FROM alert_event g WHERE g.subscription_id = e.subscription_id AND g.status = 'pending')
                """,
                logger: logger
            ).single(Int64?.self)?.map(Timestamp.init(microsecondsSince1970:))
        }
    }

    public func events(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [AlertEvent]? {
        try await client.withConnection { connection in
            guard try await owns(subscription, owner: owner, on: connection) else { return nil }
            var events: [AlertEvent] = []
            let rows = try await connection.query(
                """
                SELECT id, subscription_id, kind, episode, status, sample_us, created_us, data, attempts, next_attempt_us, delivered_us,
                    last_error
                FROM alert_event WHERE subscription_id = \(subscription) AND id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger)
            for try await row in rows.decode(EventColumns.self) {
                events.append(try Self.event(row))
            }
            return events
        }
    }

    public func recordedEvents(after cursor: ChangeCursor?) async throws -> RecordedAlertEvents {
        // One snapshot for the position and the events read at it (see PostgresFeedPosition).
        try await inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            let snapshotXmin =
                try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: logger)
                .single(Int64.self) ?? 0
            guard let position = cursor.flatMap(PostgresFeedPosition.init) else {
                // From now: what transactions still open at the snapshot's horizon already
                // recorded counts as read.
                var visible: [Int64] = []
                let rows = try await connection.query(
                    "SELECT DISTINCT xid::text::bigint FROM alert_event WHERE xid >= \(snapshotXmin)::text::xid8", logger: logger)
                for try await xid in rows.decode(Int64.self) { visible.append(xid) }
                return RecordedAlertEvents(events: [], cursor: PostgresFeedPosition(xmin: snapshotXmin, read: visible).cursor)
            }
            let alreadyRead = Set(position.read)
            var events: [RecordedAlertEvents.Owned] = []
            var seen: [Int64] = []
            let rows = try await connection.query(
                """
                SELECT e.id, e.subscription_id, e.kind, e.episode, e.status, e.sample_us, e.created_us, e.data, e.attempts,
                    e.next_attempt_us, e.delivered_us, e.last_error, s.owner_key_id, e.xid::text::bigint
                FROM alert_event e JOIN subscription s ON s.id = e.subscription_id
                WHERE e.xid >= \(position.xmin)::text::xid8 ORDER BY e.id
                """,
                logger: logger)
            for try await (id, subscription, kind, episode, status, sample, created, data, attempts, next, delivered, error, owner, xid)
                in rows.decode(
                    (Int64, Int64, String, Int64, String, Int64, Int64, String, Int, Int64?, Int64?, String?, Int64, Int64).self)
            where !alreadyRead.contains(xid) {
                let event = try Self.event(
                    (id, subscription, kind, episode, status, sample, created, data, attempts, next, delivered, error))
                events.append(RecordedAlertEvents.Owned(event: event, owner: owner))
                seen.append(xid)
            }
            return RecordedAlertEvents(events: events, cursor: position.advanced(to: snapshotXmin, seen: seen).cursor)
        }
    }

    public func deliveryAttempts(of subscription: Int64, owner: Int64, before: Int64?, limit: Int) async throws -> [RecordedAttempt]? {
        try await client.withConnection { connection in
            guard try await owns(subscription, owner: owner, on: connection) else { return nil }
            var attempts: [RecordedAttempt] = []
            let rows = try await connection.query(
                """
                SELECT id, event_id, attempted_us, latency_us, status_code, error, outcome, next_attempt_us FROM alert_delivery
                WHERE subscription_id = \(subscription) AND id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger)
            for try await (id, event, attempted, latency, status, error, outcome, next) in rows.decode(
                (Int64, Int64, Int64, Int64, Int?, String?, String, Int64?).self)
            {
                attempts.append(
                    RecordedAttempt(
                        id: id,
                        attempt: try DeliveryAttempt(
                            stored: event, attemptedMicroseconds: attempted, latencyMicroseconds: latency, statusCode: status, error: error,
                            outcome: outcome, nextAttemptMicroseconds: next)))
            }
            return attempts
        }
    }

    public func redeliver(event id: Int64, of subscription: Int64, owner: Int64, at now: Timestamp) async throws -> RedeliveryResult {
        let time = now.microsecondsSince1970
        return try await inTransaction { connection in
            guard try await owns(subscription, owner: owner, on: connection) else { return .notFound }
            // The subscription's events, locked: a claim waits until this is decided.
            var found = false
            var leased = false
            let events = try await connection.query(
                """
                SELECT id, status, lease_until_us FROM alert_event
                WHERE subscription_id = \(subscription) AND (status = 'pending' OR id = \(id)) FOR UPDATE
                """,
                logger: logger)
            for try await (event, status, leaseUntil) in events.decode((Int64, String, Int64?).self) {
                if event == id { found = true }
                if status == "pending", let leaseUntil, leaseUntil > time { leased = true }
            }
            guard found else { return .notFound }
            if leased { return .inFlight }
            let rows = try await connection.query(
                """
                UPDATE alert_event SET status = 'pending', next_attempt_us = \(time), retry_until_us = NULL, attempts = 0,
                    lease_holder = NULL, lease_until_us = NULL
                WHERE id = \(id) AND subscription_id = \(subscription)
                RETURNING id, subscription_id, kind, episode, status, sample_us, created_us, data, attempts, next_attempt_us,
                    delivered_us, last_error
                """,
                logger: logger)
            for try await row in rows.decode(EventColumns.self) { return .scheduled(try Self.event(row)) }
            return .notFound
        }
    }

    private func owns(_ subscription: Int64, owner: Int64, on connection: GuardedConnection) async throws -> Bool {
        try await connection.query(
            "SELECT id FROM subscription WHERE id = \(subscription) AND owner_key_id = \(owner)", logger: logger
        ).single(Int64.self) != nil
    }

    private static func event(_ row: EventColumns) throws -> AlertEvent {
        let (id, subscription, kind, episode, status, sample, created, data, attempts, next, delivered, error) = row
        return try AlertEvent(
            stored: id, subscriptionID: subscription, kind: kind, episode: episode, status: status, sampleMicroseconds: sample,
            createdMicroseconds: created, data: data, attempts: attempts, nextAttemptMicroseconds: next, deliveredMicroseconds: delivered,
            lastError: error)
    }
}
