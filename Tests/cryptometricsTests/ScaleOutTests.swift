import AsyncHTTPClient
import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import PostgresNIO
import PostgresStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessSuites {
    /// Two pollers and two API instances on one PostgreSQL database, as processes, with nginx in front
    /// of the API instances when it is installed: the tickers are shared, a poller killed with -9 is
    /// taken over and rejoins, nothing is polled twice, and the instances serve the same bytes.
    @Suite(.serialized, .enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)))
    struct ScaleOutTests {
        private static let tickerCount = 200

        private static func get(_ url: String) async throws -> (status: Int, body: String, etag: String?) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), String(buffer: body), response.headers.first(name: "etag"))
        }

        /// The tickers each poller holds, as an API instance's `/status` shows them.
        private static func shares(_ apiBase: String) async throws -> [String: Int] {
            let json = try JSONParser.parse(Array(try await get("\(apiBase)/status").body.utf8))
            var shares: [String: Int] = [:]
            for poller in json["pollers"]?.array ?? [] {
                if let name = poller["name"]?.string { shares[name] = poller["tickers"]?.array?.count ?? 0 }
            }
            return shares
        }

        private static func balanced(_ shares: [String: Int], pollers: Int) -> Bool {
            let fair = Double(tickerCount) / Double(pollers)
            return shares.count == pollers && shares.values.reduce(0, +) == tickerCount
                && shares.values.allSatisfy { abs(Double($0) - fair) <= max(1, fair * 0.1) }
        }

        /// Waits up to a minute for `pollers` to share the tickers fairly, as `apiBase`'s `/status`
        /// shows them; records `what` with the shares last seen if they never do.
        private static func expectBalanced(pollers: Int, on apiBase: String, _ what: String) async throws {
            let balanced = try await eventually(within: .seconds(60)) {
                let shares = try await Self.shares(apiBase)
                return Self.balanced(shares, pollers: pollers) ? shares : nil
            }
            if balanced == nil { Issue.record("\(what): \(try await Self.shares(apiBase))") }
        }

        @Test func pollersShareTheTickersSurviveKillNineAndInstancesServeTheSameBytes() async throws {
            let fake = FakeUpstream()
            let tickers = (1...Self.tickerCount).map { index in
                let market = FakeUpstream.generatedMarketKey(index, on: .zonda)
                fake.setMarket(.zonda, market, price: 100 + Double(index) / 7, volume: Double(index % 97) + 1)
                return "ZONDA:" + market.replacingOccurrences(of: "-", with: "")
            }
            try await TestPostgres.withSchema { location in
                try await withTemporaryDirectory { directory in
                    try await fake.withRunning { upstreamURL in
                        let database = TestPostgres.url(of: location)
                        let environment = [
                            "CRYPTOMETRICS_UPSTREAMS_ZONDA_BASE_URL": upstreamURL,
                            "CRYPTOMETRICS_UPSTREAMS_ZONDA_REQUESTS_PER_SECOND": "1000",
                            "CRYPTOMETRICS_TICKERS": tickers.joined(separator: ","),
                            "CRYPTOMETRICS_DATABASE": database,
                            "CRYPTOMETRICS_POLL_INTERVAL_SECONDS": "1",
                        ]
                        func startPoller() throws -> RunningProcess {
                            try RunningProcess(["poll", "--ops-port", "0"], in: directory, environment: environment)
                        }
                        let apis = try (0..<2).map { _ in
                            try RunningProcess(["serve", "--no-poll", "--port", "0"], in: directory, environment: environment)
                        }
                        var apiBases: [String] = []
                        for api in apis {
                            apiBases.append("http://127.0.0.1:\(try #require(try await api.apiPort(), "\(api.log)"))")
                        }
                        let first = try startPoller()
                        let second = try startPoller()

                        // Shared within a few intervals, and each within 10% (or one ticker) of half.
                        try await Self.expectBalanced(pollers: 2, on: apiBases[0], "the pollers share")

                        // One poller dies mid-cycle; the other takes everything over, then shares again
                        // with its restarted replacement.
                        first.signal(SIGKILL)
                        #expect(try await first.exitStatus(within: .seconds(30)) != nil)
                        // No later than its death: the slot it died in, as the leases count it.
                        let firstDied = Timestamp.now.roundedDown(toMultipleOf: .seconds(1))
                        try await Self.expectBalanced(pollers: 1, on: apiBases[0], "the survivor takes over")
                        let restarted = try startPoller()
                        try await Self.expectBalanced(pollers: 2, on: apiBases[1], "the restarted poller shares again")
                        // A few slots with both sharing again.
                        _ = try await restarted.line(containing: "] cycle ", within: .seconds(30))
                        let settledLines = restarted.log.split(separator: "\n").filter { $0.contains("] cycle ") }.count
                        _ = try await eventually(within: .seconds(30)) {
                            restarted.log.split(separator: "\n").filter { $0.contains("] cycle ") }.count >= settledLines + 3 ? true : nil
                        }

                        for poller in [second, restarted] { poller.signal(SIGTERM) }
                        for poller in [second, restarted] {
                            #expect(try await poller.exitStatus(within: .seconds(30)) == 0, "\(poller.log)")
                        }
                        for poller in [first, second, restarted] {
                            #expect(!poller.log.contains("were stored already"), "a ticker polled twice in one slot: \(poller.log)")
                        }
                        try await expectNoTickerMissesMoreThanTwoSlots(
                            location, pollers: [(first, firstDied), (second, nil), (restarted, nil)])
                        if ProcessInfo.processInfo.environment["SCALE_OUT_LOGS"] != nil {
                            for poller in [first, second, restarted] {
                                print(
                                    "=== poller\n"
                                        + poller.log.split(separator: "\n").filter { $0.contains("holding") || $0.contains("] cycle ") }
                                        .joined(
                                            separator: "\n"))
                            }
                        }

                        // Both instances, and nginx in front of them, serve the same bytes.
                        try await expectTheSameBytes(from: apiBases, directory: directory, database: database)
                        for api in apis { api.signal(SIGTERM) }
                        for api in apis { #expect(try await api.exitStatus(within: .seconds(30)) == 0) }
                    }
                }
            }
        }

        /// Every ticker's polled samples, slot by slot: a ticker unpolled for more than two slots was
        /// lost between the leases. The leases promise that (a killed poller's tickers miss the slot
        /// it died in and the next) only of slots the pollers kept, so a slot counts against a ticker
        /// only when every poller alive in it (from its first logged cycle to its last, or to its
        /// death) logged a cycle there with no failure. A slot that a loaded machine made a poller
        /// skip, or an answer that came too late, is no lease's fault: the verdict does not depend on
        /// the machine's speed.
        private func expectNoTickerMissesMoreThanTwoSlots(
            _ location: PostgresLocation, pollers: [(process: RunningProcess, died: Timestamp?)]
        ) async throws {
            let kept = Self.keptSlots(pollers.map { (LoggedCycle.all(in: $0.process.log), $0.died) })
            let logger = Logger(label: "test")
            let polled = try await TestPostgres.withConnection(to: location) { connection in
                let rows = try await connection.query(
                    """
                    SELECT metric.ticker, sample.timestamp_us FROM sample
                    JOIN sample_origin ON sample_origin.id = sample.origin_id
                    JOIN metric ON metric.id = sample.metric_id
                    WHERE sample_origin.kind = 'poll' AND metric.metric_type = 'price'
                    ORDER BY metric.ticker, sample.timestamp_us
                    """,
                    logger: logger
                )
                var polled: [String: [Int64]] = [:]
                for try await (ticker, timestamp) in rows.decode((String, Int64).self) { polled[ticker, default: []].append(timestamp) }
                return polled
            }
            #expect(polled.count == Self.tickerCount, "every ticker was polled")
            var missed: [String: [Timestamp]] = [:]
            for (ticker, timestamps) in polled {
                for (previous, next) in zip(timestamps, timestamps.dropFirst()) {
                    let between = kept.filter { previous < $0.microsecondsSince1970 && $0.microsecondsSince1970 < next }
                    if between.count > missed[ticker, default: []].count { missed[ticker] = between }
                }
            }
            let late = missed.filter { $0.value.count > 2 }.sorted { $0.key < $1.key }
            #expect(
                late.isEmpty,
                "tickers unpolled for more than two kept slots: \(late.prefix(5).map { "\($0.key) missed \($0.value.map(\.rfc3339))" })"
            )
        }

        /// The slots in which every poller alive kept its cycle, given each poller's logged cycles
        /// and, for one that was killed, the slot it died in.
        private static func keptSlots(_ pollers: [(cycles: [LoggedCycle], died: Timestamp?)]) -> [Timestamp] {
            let lives = pollers.compactMap { poller -> (ClosedRange<Timestamp>, clean: Set<Timestamp>)? in
                guard let first = poller.cycles.first?.timestamp, let last = poller.cycles.last?.timestamp else { return nil }
                return (first...max(last, poller.died ?? last), Set(poller.cycles.filter { $0.failed == 0 }.map(\.timestamp)))
            }
            let slots = Set(pollers.flatMap { $0.cycles.map(\.timestamp) }).sorted()
            return slots.filter { slot in
                lives.allSatisfy { life, clean in !life.contains(slot) || clean.contains(slot) }
            }
        }

        private func expectTheSameBytes(from apiBases: [String], directory: URL, database: String) async throws {
            let ids = (1...(Self.tickerCount * 2)).map { $0 }
            // The pollers have stopped, so both instances converge on the same data; each reads the
            // feed on its own schedule, so wait until every metric agrees, then compare once more.
            let agreed = try await eventually(within: .seconds(60), every: .milliseconds(500)) { () -> Bool? in
                let lists = try await apiBases.asyncMap { try await Self.get("\($0)/metrics") }
                guard lists[0].body == lists[1].body else { return nil }
                for id in ids {
                    let bodies = try await apiBases.asyncMap { try await Self.get("\($0)/metrics/\(id)") }
                    guard bodies[0].body == bodies[1].body else { return nil }
                }
                return true
            }
            #expect(agreed == true, "the two instances never served the same bytes for every metric")
            for id in ids {
                let answers = try await apiBases.asyncMap { try await Self.get("\($0)/metrics/\(id)") }
                #expect(answers[0].status == 200)
                #expect(answers[0].body == answers[1].body, "metric \(id)")
                #expect(answers[0].etag != nil && answers[0].etag == answers[1].etag, "metric \(id)")
            }
            guard let nginx = try await TestNginx(proxyingTo: apiBases, in: directory) else {
                if TestPostgres.isCI {
                    Issue.record("CI=true, but nginx is not installed: .ci/run must install it")
                } else {
                    print("nginx is not installed: the load-balanced part of ScaleOutTests was skipped")
                }
                return
            }
            defer { nginx.stop() }
            let direct = try await Self.get("\(apiBases[0])/metrics/1")
            for _ in 0..<4 {
                let through = try await Self.get("\(nginx.base)/metrics/1")
                #expect(through.body == direct.body)
                #expect(through.etag == direct.etag)
            }

            // The live stream through nginx: a sample another process stores reaches a client of
            // whichever instance it landed on.
            let metric = try JSONParser.parse(Array(direct.body.utf8))
            let ticker = try #require(metric["ticker"]?.string)
            let type = try #require(metric["metric_type"]?.string)
            let csv = directory.appendingPathComponent("one.csv")
            try "ticker,metric_type,timestamp,value\n\(ticker),\(type),\(Timestamp.now.rfc3339),123.5\n".write(
                to: csv, atomically: true, encoding: .utf8)
            try await withEventStream("\(nginx.base)/stream?metrics=1") { events in
                #expect(events.status == 200)
                #expect(try await events.next()?.retry == 2000, "the opening came through at once")
                let importer = try RunningProcess(
                    ["import", "--csv", csv.path], in: directory, environment: ["CRYPTOMETRICS_DATABASE": database])
                #expect(try await importer.exitStatus(within: .seconds(30)) == 0, "\(importer.log)")
                let event = try await events.nextEvent(within: .seconds(30))
                #expect(event?.name == "sample")
                #expect(event?.data?.contains("\"value\":123.5") == true, "\(String(describing: event))")
            }
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
