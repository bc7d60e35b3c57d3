import MetricsCore

extension InMemoryMetricStore: APIKeyStore {
    struct KeyTable {
        var keys: [(key: APIKey, hash: String)] = []
    }

    public func createKey(name: String, hash: String, at time: Timestamp) async throws -> APIKey {
        try APIKey.validate(name: name)
        return try keyTable.withLock { table throws(APIKeyError) in
            guard !table.keys.contains(where: { $0.key.name == name }) else { throw .nameTaken(name) }
            let key = APIKey(id: Int64(table.keys.count + 1), name: name, createdAt: time, revokedAt: nil)
            table.keys.append((key, hash))
            return key
        }
    }

    public func keys() async throws -> [APIKey] {
        keyTable.withLock { $0.keys.map(\.key) }
    }

    public func revokeKey(named name: String, at time: Timestamp) async throws -> APIKey? {
        keyTable.withLock { table in
            guard let index = table.keys.firstIndex(where: { $0.key.name == name && $0.key.isActive }) else { return nil }
            let old = table.keys[index].key
            let revoked = APIKey(id: old.id, name: old.name, createdAt: old.createdAt, revokedAt: time)
            table.keys[index].key = revoked
            return revoked
        }
    }

    public func activeKey(hash: String) async throws -> APIKey? {
        keyTable.withLock { table in table.keys.first { $0.hash == hash && $0.key.isActive }?.key }
    }
}
