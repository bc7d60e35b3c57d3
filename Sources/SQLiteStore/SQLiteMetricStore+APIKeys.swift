import GRDB
import MetricsCore
import MetricsStore

extension SQLiteMetricStore: APIKeyStore {
    public func createKey(name: String, hash: String, at time: Timestamp) async throws -> APIKey {
        try APIKey.validate(name: name)
        do {
            return try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO api_key (name, secret_sha256, created_us) VALUES (?, ?, ?)",
                    arguments: [name, hash, time.microsecondsSince1970]
                )
                return APIKey(id: db.lastInsertedRowID, name: name, createdAt: time, revokedAt: nil)
            }
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE && (error.message ?? "").contains("api_key.name")
        {
            throw APIKeyError.nameTaken(name)
        }
    }

    public func keys() async throws -> [APIKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, created_us, revoked_us FROM api_key ORDER BY id").map(Self.key)
        }
    }

    public func revokeKey(named name: String, at time: Timestamp) async throws -> APIKey? {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_key SET revoked_us = ? WHERE name = ? AND revoked_us IS NULL",
                arguments: [time.microsecondsSince1970, name]
            )
            guard db.changesCount > 0 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT id, name, created_us, revoked_us FROM api_key WHERE name = ?", arguments: [name])
                .map(Self.key)
        }
    }

    public func activeKey(hash: String) async throws -> APIKey? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT id, name, created_us, revoked_us FROM api_key WHERE secret_sha256 = ? AND revoked_us IS NULL",
                arguments: [hash]
            ).map(Self.key)
        }
    }

    private static func key(_ row: Row) -> APIKey {
        APIKey(
            id: row["id"],
            name: row["name"],
            createdAt: Timestamp(microsecondsSince1970: row["created_us"]),
            revokedAt: (row["revoked_us"] as Int64?).map(Timestamp.init(microsecondsSince1970:))
        )
    }
}
