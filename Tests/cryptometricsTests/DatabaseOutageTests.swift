import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import MetricsCore
import MetricsStore
import PostgresStore
import SQLiteStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessSuites {
    /// The database away while `serve` polls and answers: PostgreSQL unreachable for 30 s, a SQLite
    /// file on a full filesystem. The poller keeps polling and holds its cycles in memory, the API
    /// answers from what it holds and `/readyz` says what is wrong, and once the database is back
    /// every held cycle is stored, whole, in order: no second of the outage is missing.
    @Suite struct DatabaseOutageTests {
        @Test(.enabled(if: TestPostgres.isAvailable || TestPostgres.isCI, Comment(rawValue: TestPostgres.skipReason)))
        func postgreSQLAwayForThirtySecondsLosesNoCycle() async throws {
            try await TestPostgres.withSchema { location in
                try await TCPProxy.withRunning(to: location.port) { proxy in
                    var proxied = location
                    proxied.host = "127.0.0.1"
                    proxied.port = proxy.port
                    let (away, back, log) = try await withService(database: TestPostgres.url(of: proxied)) { service, api in
                        proxy.cut()
                        let away = Timestamp.now
                        let cut = ContinuousClock.now
                        let refused = try await eventually(within: .seconds(30)) {
                            let (status, body) = try await Self.get(api + "/readyz")
                            return status == 503 && body.contains("The database cannot be read") ? body : nil
                        }
                        #expect(refused != nil, "/readyz says the database is away")
                        try await expectServing(api)
                        // The outage lasts 30 s of the service's cycles, whatever the machine's speed.
                        try await Task.sleep(until: cut + .seconds(30))
                        proxy.restore()
                        let back = Timestamp.now
                        try await expectCaughtUp(service, api)
                        return (away, back, service.log)
                    }
                    try await PostgresMetricStore.withStore(at: location, maximumConnections: 2, logger: Self.quiet) { store in
                        try await expectEveryCycle(of: store, in: log, from: away, through: back)
                    }
                }
            }
        }

        @Test func aFullFilesystemUnderSQLiteHoldsCyclesAndLosesNone() async throws {
            try await withTemporaryDirectory { directory in
                let mountPoint = directory.appendingPathComponent("small")
                try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
                guard try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint.path]) == 0 else {
                    if TestPostgres.isCI { Issue.record("CI runs as root and must mount a tmpfs for this test") }
                    print("DatabaseOutageTests: cannot mount a tmpfs here (not root?): the full-filesystem test is skipped")
                    return
                }
                defer { _ = try? Self.run("/bin/umount", ["-l", mountPoint.path]) }
                let path = mountPoint.appendingPathComponent("metrics.sqlite").path
                let filler = mountPoint.appendingPathComponent("filler")
                let (away, back, log) = try await withService(database: path) { service, api in
                    let away = Timestamp.now
                    Self.fill(filler.path)
                    let degraded = try await eventually(within: .seconds(30)) {
                        let (status, body) = try await Self.get(api + "/readyz")
                        return status == 200 && body.contains(#""status":"degraded""#) ? body : nil
                    }
                    #expect(
                        degraded?.contains("refuses writes") == true,
                        "/readyz says cycles wait: \(degraded ?? service.log.suffix(3_000).description)")
                    let (_, status) = try await Self.get(api + "/status")
                    #expect(status.contains(#""unstored_cycles":"#) && !status.contains(#""unstored_cycles":0"#), "\(status)")
                    try await expectServing(api)
                    try await Task.sleep(for: .seconds(5))
                    try FileManager.default.removeItem(at: filler)
                    let back = Timestamp.now
                    try await expectCaughtUp(service, api)
                    return (away, back, service.log)
                }
                let store = try SQLiteMetricStore(path: path)
                try await expectEveryCycle(of: store, in: log, from: away, through: back)
                let check = try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
                #expect(check == "ok")
            }
        }

        // MARK: Helpers

        /// Runs `serve` (simulated source, a cycle a second) on `database` until it has stored a few
        /// cycles, then `body`; then stops it with SIGTERM, which must end it cleanly.
        private func withService<Result>(
            database: String, _ body: (RunningProcess, String) async throws -> Result
        ) async throws -> Result {
            try await withTemporaryDirectory { directory in
                let service = try RunningProcess(
                    ["serve", "--source", "simulated", "--poll-interval", "1", "--port", "0", "--database", database], in: directory)
                // A new schema's migrations first, through the relay: on a loaded machine, a while.
                let port = try #require(try await service.apiPort(within: .seconds(90)), "the service starts: \(service.log)")
                let api = "http://127.0.0.1:\(port)"
                // Every metric made and sampled, the first backfills done: the outage then meets the
                // poller in its steady state.
                let loaded = try await eventually(within: .seconds(60)) { () async throws -> Bool? in
                    let (status, body) = try await Self.get(api + "/metrics")
                    let count = (try? JSONParser.parse(Array(body.utf8)))?["metrics"]?.array?.count
                    guard status == 200, count == 20 else { return nil }
                    let (lastStatus, last) = try await Self.get(api + "/metrics/20")
                    return lastStatus == 200 && !last.contains(#""samples":0"#) && !last.contains(#""samples":1,"#) ? true : nil
                }
                #expect(loaded == true, "\(service.log.suffix(3_000))")
                let result: Result
                do {
                    result = try await body(service, api)
                } catch {
                    Issue.record("the service's log: \(service.log.suffix(6_000))")
                    throw error
                }
                service.signal(SIGTERM)
                let status = try await service.exitStatus(within: .seconds(30))
                #expect(status == 0, "exit status \(status.map(String.init) ?? "none within 10 s"): \(service.log.suffix(3_000))")
                if status == nil { service.signal(SIGKILL) }
                return result
            }
        }

        /// The API answers from what it holds.
        private func expectServing(_ api: String) async throws {
            let (status, body) = try await Self.get(api + "/metrics/1")
            #expect(status == 200 && body.contains(#""standard_deviation""#), "\(status): \(body.prefix(300))")
            let (listStatus, _) = try await Self.get(api + "/metrics")
            #expect(listStatus == 200)
        }

        /// Once the database is back, the held cycles are stored and `/readyz` is ready again.
        private func expectCaughtUp(_ service: RunningProcess, _ api: String) async throws {
            let ready = try await eventually(within: .seconds(60)) {
                let (status, body) = try await Self.get(api + "/readyz")
                return status == 200 && body.contains(#""status":"ready""#) ? true : nil
            }
            #expect(ready == true, "\(service.log.suffix(3_000))")
            #expect(service.log.contains("that had waited for the store"), "\(service.log.suffix(3_000))")
            #expect(!service.log.contains("dropping the unstored cycle"))
        }

        /// Every cycle the poller ran from `from` through `through` (its log names each, stored or
        /// held) is in the store with a sample of every metric. Slots a loaded machine made the poller
        /// skip are not cycles, so the verdict does not depend on the machine's speed.
        private func expectEveryCycle(of store: any MetricStore, in log: String, from: Timestamp, through: Timestamp) async throws {
            let metrics = try await store.metrics()
            #expect(metrics.count == 20)
            let cycles = LoggedCycle.all(in: log).map(\.timestamp).filter { from <= $0 && $0 <= through }
            #expect(cycles.count >= 5, "the poller went on polling while the database was away: \(cycles.count) cycles")
            let range = TimeRange(from: from, through: through)
            for metric in metrics {
                let stored = Set(try await store.samples(of: metric.id, in: range, limit: 100_000)?.series.timestamps ?? [])
                let missing = cycles.filter { !stored.contains($0.microsecondsSince1970) }
                #expect(missing.isEmpty, "\(metric.key): the cycles of \(missing.map(\.rfc3339)) are not stored")
            }
        }

        private static func get(_ url: String) async throws -> (Int, String) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 16 << 20)))
        }

        /// Fills the filesystem holding `path` until a write fails for want of space.
        private static func fill(_ path: String) {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(descriptor) }
            let chunk = [UInt8](repeating: 0xAB, count: 64 << 10)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        }

        private static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        static var quiet: Logger {
            var logger = Logger(label: "outage-test")
            logger.logLevel = .critical
            return logger
        }
    }
}
