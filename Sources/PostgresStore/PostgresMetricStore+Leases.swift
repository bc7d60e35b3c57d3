import Logging
import MetricsCore
import MetricsStore
import PostgresNIO

extension PostgresMetricStore: TickerLeases {
    /// One transaction: the holder's heartbeat, its renewals and hand-overs, then its claims, taken
    /// with `FOR UPDATE SKIP LOCKED` so that pollers claiming at the same moment never wait for each
    /// other and never take the same ticker.
    public func share(of tickers: [Ticker], for holder: LeaseHolder, slot: Timestamp, interval: Duration) async throws -> [Ticker] {
        let names = Array(Set(tickers.map(\.description))).sorted()
        let now = slot.microsecondsSince1970
        let next = now + interval.microseconds
        let expiry = now + interval.microseconds * 3 / 2
        let held = try await inTransaction(deadline: PostgresPool.pollerOperationDeadline) { connection in
            try await connection.query(
                """
                INSERT INTO poller (id, name, seen_us, expires_us) VALUES (\(holder.id), \(holder.name), \(now), \(expiry))
                ON CONFLICT (id) DO UPDATE SET seen_us = excluded.seen_us, expires_us = excluded.expires_us
                """,
                logger: logger
            )
            try await connection.query(
                "INSERT INTO ticker_lease (ticker) SELECT unnest(\(names)::text[]) ON CONFLICT DO NOTHING", logger: logger)
            let alive = max(
                try await connection.query("SELECT count(*) FROM poller WHERE expires_us > \(now)", logger: logger).single(Int.self) ?? 1, 1
            )
            let fairShare = (names.count + alive - 1) / alive
            // Tickers no longer configured are free at once: this poller does not poll them.
            try await connection.query(
                "UPDATE ticker_lease SET holder = NULL, expires_us = 0 WHERE holder = \(holder.id) AND NOT ticker = ANY(\(names)::text[])",
                logger: logger
            )
            // Renewed in ticker order, so that the excess handed over is always the same end.
            var held = try await Self.tickers(
                """
                WITH renewed AS (
                    UPDATE ticker_lease SET expires_us = \(expiry)
                    WHERE holder = \(holder.id) AND expires_us > \(now)
                    RETURNING ticker
                )
                SELECT ticker FROM renewed ORDER BY ticker
                """,
                on: connection, logger: logger)
            // The excess is polled here in this slot still, and free from the next.
            let excess = Array(held.dropFirst(fairShare))
            if !excess.isEmpty {
                try await connection.query(
                    "UPDATE ticker_lease SET expires_us = \(next) WHERE holder = \(holder.id) AND ticker = ANY(\(excess)::text[])",
                    logger: logger
                )
            }
            let keeping = held.count - excess.count
            if keeping < fairShare {
                held += try await Self.tickers(
                    """
                    UPDATE ticker_lease SET holder = \(holder.id), expires_us = \(expiry)
                    WHERE ticker IN (
                        SELECT ticker FROM ticker_lease
                        WHERE ticker = ANY(\(names)::text[]) AND (holder IS NULL OR expires_us <= \(now))
                        ORDER BY ticker LIMIT \(fairShare - keeping)
                        FOR UPDATE SKIP LOCKED
                    )
                    RETURNING ticker
                    """,
                    on: connection, logger: logger)
            }
            return held
        }
        return try held.map { try Ticker(parsing: $0) }.sorted()
    }

    public func release(_ holder: LeaseHolder, from slot: Timestamp) async throws {
        try await inTransaction(deadline: PostgresPool.pollerOperationDeadline) { connection in
            try await connection.query(
                """
                UPDATE ticker_lease SET expires_us = least(expires_us, \(slot.microsecondsSince1970))
                WHERE holder = \(holder.id)
                """,
                logger: logger)
            try await connection.query("DELETE FROM poller WHERE id = \(holder.id)", logger: logger)
        }
    }

    public func leaseHolders(at slot: Timestamp) async throws -> [LeaseHolderStatus] {
        let now = slot.microsecondsSince1970
        return try await inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            let rows = try await connection.query(
                """
                SELECT poller.id, poller.name, poller.seen_us, poller.expires_us,
                    coalesce(array_agg(ticker_lease.ticker ORDER BY ticker_lease.ticker)
                        FILTER (WHERE ticker_lease.ticker IS NOT NULL), '{}')
                FROM poller
                LEFT JOIN ticker_lease ON ticker_lease.holder = poller.id AND ticker_lease.expires_us > \(now)
                WHERE poller.expires_us > \(now)
                GROUP BY poller.id
                ORDER BY poller.name, poller.id
                """,
                logger: logger
            )
            var holders: [LeaseHolderStatus] = []
            for try await (id, name, seen, expires, tickers) in rows.decode((String, String, Int64, Int64, [String]).self) {
                holders.append(
                    LeaseHolderStatus(
                        holder: LeaseHolder(id: id, name: name),
                        seenAt: Timestamp(microsecondsSince1970: seen),
                        expiresAt: Timestamp(microsecondsSince1970: expires),
                        tickers: try tickers.map { try Ticker(parsing: $0) }
                    ))
            }
            return holders
        }
    }

    private static func tickers(_ query: PostgresQuery, on connection: GuardedConnection, logger: Logger) async throws -> [String] {
        var tickers: [String] = []
        for try await ticker in try await connection.query(query, logger: logger).decode(String.self) {
            tickers.append(ticker)
        }
        return tickers
    }
}
