import MetricsCore
import MetricsStore
import PostgresNIO

extension PostgresMetricStore: APIKeyStore {
    public func createKey(name: String, hash: String, at time: Timestamp) async throws -> APIKey {
        try APIKey.validate(name: name)
        do {
            return try await client.withConnection { connection in
                let id = try await connection.query(
                    "INSERT INTO api_key (name, secret_sha256, created_us) VALUES (\(name), \(hash), \(time.microsecondsSince1970)) RETURNING id",
                    logger: logger
                ).single(Int64.self)
                guard let id else { throw StoreError.corruptRow(table: "api_key", reason: "an insert returned no id") }
                return APIKey(id: id, name: name, createdAt: time, revokedAt: nil)
            }
        } catch let error as PSQLError
            where error.serverInfo?[.sqlState] == PostgresFailure.uniqueViolation
            && error.serverInfo?[.constraintName] == "api_key_name_key"
        {
            throw APIKeyError.nameTaken(name)
        }
    }

    public func keys() async throws -> [APIKey] {
        try await client.withConnection { connection in
            try await Self.keys(
                connection.query("SELECT id, name, created_us, revoked_us FROM api_key ORDER BY id", logger: logger))
        }
    }

    public func revokeKey(named name: String, at time: Timestamp) async throws -> APIKey? {
        try await client.withConnection { connection in
            try await Self.keys(
                connection.query(
                    """
                    UPDATE api_key SET revoked_us = \(time.microsecondsSince1970)
                    WHERE name = \(name) AND revoked_us IS NULL
                    RETURNING id, name, created_us, revoked_us
                    """,
                    logger: logger)
            ).first
        }
    }

    public func activeKey(hash: String) async throws -> APIKey? {
        try await client.withConnection { connection in
            try await Self.keys(
                connection.query(
                    "SELECT id, name, created_us, revoked_us FROM api_key WHERE secret_sha256 = \(hash) AND revoked_us IS NULL",
                    logger: logger)
            ).first
        }
    }

    private static func keys(_ rows: PostgresRowSequence) async throws -> [APIKey] {
        var keys: [APIKey] = []
        for try await (id, name, created, revoked) in rows.decode((Int64, String, Int64, Int64?).self) {
            keys.append(
                APIKey(
                    id: id, name: name, createdAt: Timestamp(microsecondsSince1970: created),
                    revokedAt: revoked.map(Timestamp.init(microsecondsSince1970:))))
        }
        return keys
    }
}
