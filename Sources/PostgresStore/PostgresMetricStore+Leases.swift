import Logging
import MetricsCore
import MetricsStore
import PostgresNIO

extension PostgresMetricStore: TickerLeases {
    /// One transaction: the holder's heartbeat, its renewals and releases, then its claims, taken
    /// with `FOR UPDATE SKIP LOCKED` so that pollers claiming at the same moment never wait for
    /// each other and never take the same ticker.
    public func share(of tickers: [Ticker], for holder: LeaseHolder, leaseDuration: Duration) async throws -> [Ticker] {
        let names = Array(Set(tickers.map(\.description))).sorted()
        let seconds = leaseDuration.seconds
        let held = try await inTransaction { connection in
            try await connection.query(
                """
                INSERT INTO poller (id, name, expires_at) VALUES (\(holder.id), \(holder.name), now() + make_interval(secs => \(seconds)))
                ON CONFLICT (id) DO UPDATE SET seen_at = now(), expires_at = excluded.expires_at
                """,
                logger: logger
            )
            try await connection.query(
                "INSERT INTO ticker_lease (ticker) SELECT unnest(\(names)::text[]) ON CONFLICT DO NOTHING", logger: logger)
            var alive = 1
            for try await count in try await connection.query("SELECT count(*) FROM poller WHERE expires_at > now()", logger: logger)
                .decode(Int.self)
            {
                alive = max(count, 1)
            }
            let fairShare = (names.count + alive - 1) / alive
            // Renewed in ticker order, so that the excess given up is always the same end.
            var held = try await Self.tickers(
                """
                WITH renewed AS (
                    UPDATE ticker_lease SET expires_at = now() + make_interval(secs => \(seconds))
                    WHERE holder = \(holder.id) AND expires_at > now() AND ticker = ANY(\(names)::text[])
                    RETURNING ticker
                )
                SELECT ticker FROM renewed ORDER BY ticker
                """,
                on: connection, logger: logger)
            let excess = Array(held.dropFirst(fairShare))
            try await connection.query(
                """
                UPDATE ticker_lease SET holder = NULL, expires_at = '-infinity'
                WHERE holder = \(holder.id) AND (ticker = ANY(\(excess)::text[]) OR NOT ticker = ANY(\(names)::text[]) OR expires_at <= now())
                """,
                logger: logger
            )
            held.removeLast(excess.count)
            if held.count < fairShare {
                held += try await Self.tickers(
                    """
                    UPDATE ticker_lease SET holder = \(holder.id), expires_at = now() + make_interval(secs => \(seconds))
                    WHERE ticker IN (
                        SELECT ticker FROM ticker_lease
                        WHERE ticker = ANY(\(names)::text[]) AND (holder IS NULL OR expires_at <= now())
                        ORDER BY ticker LIMIT \(fairShare - held.count)
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

    public func release(_ holder: LeaseHolder) async throws {
        try await inTransaction { connection in
            try await connection.query(
                "UPDATE ticker_lease SET holder = NULL, expires_at = '-infinity' WHERE holder = \(holder.id)", logger: logger)
            try await connection.query("DELETE FROM poller WHERE id = \(holder.id)", logger: logger)
        }
    }

    public func leaseHolders() async throws -> [LeaseHolderStatus] {
        try await inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            let rows = try await connection.query(
                """
                SELECT poller.id, poller.name,
                    (extract(epoch FROM poller.seen_at) * 1000000)::bigint,
                    (extract(epoch FROM poller.expires_at) * 1000000)::bigint,
                    coalesce(array_agg(ticker_lease.ticker ORDER BY ticker_lease.ticker)
                        FILTER (WHERE ticker_lease.ticker IS NOT NULL), '{}')
                FROM poller
                LEFT JOIN ticker_lease ON ticker_lease.holder = poller.id AND ticker_lease.expires_at > now()
                WHERE poller.expires_at > now()
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

    private static func tickers(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var tickers: [String] = []
        for try await ticker in try await connection.query(query, logger: logger).decode(String.self) {
            tickers.append(ticker)
        }
        return tickers
    }
}
