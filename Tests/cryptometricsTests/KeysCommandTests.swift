import AsyncHTTPClient
import Foundation
import MetricsStore
import SQLiteStore
import TestSupport
import Testing

/// `cryptometrics keys`, run as a user runs it: the key alone on standard output, so that
/// `KEY=$(cryptometrics keys create --name ci)` works, and only its hash in the database.
@Suite struct KeysCommandTests {
    /// Runs `cryptometrics arguments...` to its end; returns its exit status, standard output, and
    /// standard error.
    private func run(_ arguments: [String], in directory: URL) async throws -> (status: Int32?, printed: String, log: String) {
        let process = try RunningProcess(arguments, in: directory, separateOutput: true)
        let status = try await process.exitStatus(within: .seconds(60))
        // The pipes may deliver their last bytes just after the exit is seen.
        _ = try await eventually(within: .seconds(60)) { process.printed.isEmpty || process.printed.hasSuffix("\n") ? true : nil }
        return (status, process.printed, process.log)
    }

    @Test func createsListsAndRevokesKeysPrintingTheKeyAlone() async throws {
        try await withTemporaryDirectory { directory in
            let database = ["--database", "keys.sqlite"]
            let created = try await run(["keys", "create", "--name", "ci"] + database, in: directory)
            #expect(created.status == 0, "\(created.log)")
            let key = created.printed.trimmingCharacters(in: .newlines)
            #expect(created.printed == key + "\n", "standard output is the key and a newline: \(created.printed)")
            let secret = try #require(APIKeySecret(presented: key), "\(key)")
            #expect(created.log.contains("created key \"ci\""), "\(created.log)")

            // Read before this process opens the database: closing any descriptor of a file drops
            // the process's POSIX locks on it, SQLite's included, and its connections would then
            // miss other processes' writes.
            let raw =
                try Data(contentsOf: directory.appendingPathComponent("keys.sqlite"))
                + ((try? Data(contentsOf: directory.appendingPathComponent("keys.sqlite-wal"))) ?? Data())
            #expect(raw.range(of: Data(key.utf8)) == nil, "the key itself is not in the database")
            #expect(raw.range(of: Data(secret.hash.utf8)) != nil, "its hash is")
            let store = try SQLiteMetricStore(path: directory.appendingPathComponent("keys.sqlite").path)
            #expect(try await store.activeKey(hash: secret.hash)?.name == "ci")

            let taken = try await run(["keys", "create", "--name", "ci"] + database, in: directory)
            #expect(taken.status != 0 && taken.printed.isEmpty)
            #expect(taken.log.contains("a key named \"ci\" exists already"), "\(taken.log)")
            let badName = try await run(["keys", "create", "--name", "has space"] + database, in: directory)
            #expect(badName.status != 0 && badName.log.contains("invalid key name"), "\(badName.log)")

            // The service on the same database takes the key, and only it.
            let service = try RunningProcess(["serve", "--no-poll", "--port", "0"] + database, in: directory)
            let port = try #require(try await service.apiPort(), "\(service.log)")
            func status(_ key: String?) async throws -> Int {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/subscriptions")
                if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
                return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
            }
            #expect(try await status(key) == 200)
            #expect(try await status(nil) == 401)
            #expect(try await status(APIKeySecret.generate().text) == 401)

            let listed = try await run(["keys", "list"] + database, in: directory)
            #expect(listed.status == 0)
            let rows = listed.printed.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            #expect(rows.first == ["name", "created", "revoked"])
            #expect(rows.dropFirst().map { [$0[0], $0[2]] } == [["ci", "-"]])
            #expect(!listed.printed.contains(key))

            let revoked = try await run(["keys", "revoke", "ci"] + database, in: directory)
            #expect(revoked.status == 0, "\(revoked.log)")
            #expect(try await store.activeKey(hash: secret.hash) == nil)
            #expect(try await status(key) == 401, "a revoked key opens nothing in a running instance either")
            service.signal(SIGTERM)
            #expect(try await service.exitStatus(within: .seconds(30)) == 0)
            let again = try await run(["keys", "revoke", "ci"] + database, in: directory)
            #expect(again.status != 0 && again.log.contains("no active key named \"ci\""), "\(again.log)")
        }
    }
}
