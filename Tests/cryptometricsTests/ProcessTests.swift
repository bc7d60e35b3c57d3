import AsyncHTTPClient
import FakeUpstream
import Foundation
import MetricsCore
import MetricsStore
import SQLiteStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessSuites {
    /// The binary as users run it. Every process here stops by itself or is stopped by the test,
    /// and talks only to 127.0.0.1.
    @Suite(.serialized) struct ProcessTests {
        private static func getJSON(_ url: String) async throws -> JSONValue {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            return try JSONParser.parse(body.readableBytesView)
        }

        /// Signals `service` and waits for it to exit: its exit status, how long it took, and how
        /// much of that the machine's load withheld from this process (``measuringSchedulingLag``).
        private static func stop(_ service: RunningProcess, with signal: Int32) async throws -> (Int32?, Duration, lag: Duration) {
            let clock = ContinuousClock()
            let sent = clock.now
            let (status, lag) = try await measuringSchedulingLag {
                service.signal(signal)
                return try await service.exitStatus(within: .seconds(30))
            }
            return (status, clock.now - sent, lag)
        }

        @Test(arguments: [SIGTERM, SIGINT])
        func shutsDownGracefullyWithinTwoSeconds(signal: Int32) async throws {
            try await withTemporaryDirectory { directory in
                let service = try RunningProcess(["serve", "--source", "simulated", "--port", "0", "--poll-interval", "1"], in: directory)
                let port = try #require(try await service.apiPort(), "the service starts: \(service.log)")
                _ = try #require(try await service.line(containing: "cycle "), "a cycle runs")
                _ = try await Self.getJSON("http://127.0.0.1:\(port)/metrics")
                let (status, took, lag) = try await Self.stop(service, with: signal)
                #expect(status == 0, "\(service.log)")
                #expect(took - lag < .seconds(2), "stopped in \(took), \(lag) of it the machine's: \(service.log.suffix(3_000))")
                #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("cryptometrics.sqlite").path))
            }
        }

        /// An upstream that never answers leaves a cycle waiting on its request and the start-up
        /// backfill on its candles; a 503 with `Retry-After` leaves the other in a retry's wait.
        /// Shutdown cuts all of it short.
        @Test(arguments: [FakeUpstream.Fault.noAnswer, .status(503, body: "busy")])
        func shutsDownWithinTwoSecondsWhileRequestsHangOrWaitToRetry(fault: FakeUpstream.Fault) async throws {
            let fake = FakeUpstream()
            fake.setKraken("XXBTZUSD", price: "90000.5", volume: "3000.25")
            fake.setFault(fault, on: .quotes(.kraken))
            fake.setFault(fault, on: .candles(.kraken))
            try await withTemporaryDirectory { directory in
                try await fake.withRunning { baseURL in
                    let service = try RunningProcess(
                        ["serve", "--port", "0", "--tickers", "KRAKEN:BTCUSD"], in: directory,
                        environment: [
                            "CRYPTOMETRICS_UPSTREAMS_KRAKEN_BASE_URL": baseURL,
                            "CRYPTOMETRICS_UPSTREAMS_KRAKEN_REQUESTS_PER_SECOND": "100",
                            "CRYPTOMETRICS_UPSTREAMS_KRAKEN_TIMEOUT_SECONDS": "30",
                            "CRYPTOMETRICS_UPSTREAMS_KRAKEN_RETRIES": "5",
                        ])
                    _ = try #require(try await service.apiPort(), "the service starts: \(service.log)")
                    let asked = try await eventually(within: .seconds(60)) {
                        fake.requestCount(on: .quotes(.kraken)) > 0 && fake.requestCount(on: .candles(.kraken)) > 0 ? true : nil
                    }
                    #expect(asked == true, "the cycle and the backfill are under way: \(service.log)")
                    let (status, took, lag) = try await Self.stop(service, with: SIGTERM)
                    #expect(status == 0, "\(service.log)")
                    #expect(took - lag < .seconds(2), "stopped in \(took), \(lag) of it the machine's: \(service.log.suffix(3_000))")
                }
            }
        }

        /// `poll` and `serve --no-poll` on one database file; then the poller is killed with -9 and
        /// every cycle it acknowledged is still there.
        @Test func aSeparatePollerFeedsTheAPIAndSurvivesKillNine() async throws {
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("shared.sqlite").path
                let api = try RunningProcess(["serve", "--no-poll", "--port", "0", "--database", database], in: directory)
                let port = try #require(try await api.apiPort(), "\(api.log)")
                let poller = try RunningProcess(
                    [
                        "poll", "--source", "simulated", "--poll-interval", "1", "--database", database, "--tickers",
                        "KRAKEN:BTCUSD,ZONDA:ETHUSD",
                    ],
                    in: directory
                )
                // The API serves what the other process stores: the simulated day, then live cycles.
                let grown = try await eventually(within: .seconds(60)) { () -> JSONValue? in
                    let list = try await Self.getJSON("http://127.0.0.1:\(port)/metrics")
                    guard list["metrics"]?.array?.count == 4 else { return nil }
                    let detail = try await Self.getJSON("http://127.0.0.1:\(port)/metrics/1")
                    return (detail["metric_24h_history"]?.array?.count ?? 0) >= 1_443 ? detail : nil
                }
                let detail = try #require(grown, "history grows through the API: \(poller.log)")
                #expect(detail["metric_rank"]?.string == "1/2" || detail["metric_rank"]?.string == "2/2")

                let stamps = LoggedCycle.all(in: poller.log).filter { $0.stored == 4 }.map(\.timestamp)
                #expect(!stamps.isEmpty)
                poller.signal(SIGKILL)
                #expect(try await poller.exitStatus(within: .seconds(30)) != nil)

                let store = try SQLiteMetricStore(path: database)
                for metric in try await store.metrics() {
                    let window = try #require(try await store.samples(of: metric.id, in: TimeRange(last: 86_400 * 2, endingAt: .now)))
                    let stored = Set(window.samples.map(\.timestamp))
                    for stamp in stamps {
                        #expect(stored.contains(stamp), "\(metric.key) keeps the acknowledged cycle at \(stamp)")
                    }
                }
                api.signal(SIGTERM)
                #expect(try await api.exitStatus(within: .seconds(30)) == 0)
            }
        }

        /// `poll --ops-port`: the poller answers operators itself, with its health, its status and
        /// the samples it stored, and stops as cleanly as without it.
        @Test func aPollerWithAnOperationsPortAnswersForItself() async throws {
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("ops.sqlite").path
                let poller = try RunningProcess(
                    [
                        "poll", "--source", "simulated", "--poll-interval", "1", "--database", database, "--tickers", "KRAKEN:BTCUSD",
                        "--ops-port", "0",
                    ],
                    in: directory
                )
                let line = try #require(try await poller.line(containing: "serving this poller's"), "\(poller.log)")
                let port = try #require(line.components(separatedBy: "http://")[1].split(separator: ":").last.flatMap { Int($0) })
                let base = "http://127.0.0.1:\(port)"
                #expect(try await Self.getJSON("\(base)/healthz")["status"] == .string("ok"))
                let ready = try await eventually(within: .seconds(60)) { () -> JSONValue? in
                    let json = try await Self.getJSON("\(base)/readyz")
                    return json["status"] == .string("ready") ? json : nil
                }
                #expect(ready != nil)
                let status = try await eventually(within: .seconds(60)) { () -> JSONValue? in
                    let json = try await Self.getJSON("\(base)/status")
                    return json["last_cycle"]?.string != nil ? json : nil
                }
                #expect(status?["tickers"]?[0]?["ticker"] == .string("KRAKEN:BTCUSD"))
                #expect(status?["pollers"] == nil, "one SQLite poller shares nothing")
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(base)/ops/metrics"), timeout: .seconds(30))
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(text.contains("cryptometrics_samples_stored_total{kind=\"poll\"}"))
                #expect(text.contains("cryptometrics_poll_cycle_duration_seconds"))
                poller.signal(SIGTERM)
                #expect(try await poller.exitStatus(within: .seconds(30)) == 0)
            }
        }

        /// Whoever writes the database (here a second connection, as another process would be), the
        /// serving instance shows the sample, its statistics and its rank within one second.
        /// How soon a write shows depends on the machine (the follower reads the feed every 250 ms;
        /// docs/PERFORMANCE.md has the figure), so this test holds what does not: every write shows,
        /// with statistics and rank as if the instance had read it all at start.
        @Test func aSampleAnyWriterStoresShowsInARunningInstance() async throws {
            try await withTemporaryDirectory { directory in
                let database = directory.appendingPathComponent("shared.sqlite").path
                let writer = try SQLiteMetricStore(path: database)
                let btc = MetricKey(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
                let eth = MetricKey(ticker: try Ticker(parsing: "KRAKEN:ETHUSD"), type: .price)
                let start = Timestamp.now.adding(seconds: -600)
                try await writer.record([btc: 100, eth: 10], at: start, origin: .polled(from: "test"))
                try await writer.record([btc: 101, eth: 10.5], at: start.adding(seconds: 60), origin: .polled(from: "test"))
                let api = try RunningProcess(["serve", "--no-poll", "--port", "0", "--database", database], in: directory)
                let port = try #require(try await api.apiPort(), "\(api.log)")
                for step in 2..<7 {
                    let stamp = start.adding(seconds: Double(step) * 60)
                    // Cycles and imports take turns; ETH grows wilder with each step.
                    if step % 2 == 0 {
                        try await writer.record(
                            [btc: 100 + Double(step), eth: 10 + Double(step * step)], at: stamp, origin: .polled(from: "test"))
                    } else {
                        _ = try await writer.importSamples([
                            SampleRow(key: btc, timestamp: stamp, value: 100 + Double(step)),
                            SampleRow(key: eth, timestamp: stamp, value: 10 + Double(step * step)),
                        ])
                    }
                    let shown = try await eventually(within: .seconds(30), every: .milliseconds(20)) { () -> JSONValue? in
                        let detail = try await Self.getJSON("http://127.0.0.1:\(port)/metrics/1")
                        return detail["metric_24h_history"]?.array?.last?["timestamp"] == .string(stamp.rfc3339) ? detail : nil
                    }
                    let detail = try #require(shown, "step \(step) shows: \(api.log)")
                    let values = (0...step).map { 100 + Double($0) }
                    let mean = values.reduce(0, +) / Double(values.count)
                    let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                    #expect(detail["standard_deviation"]?.double.map { abs($0 - deviation) < 1e-9 } == true, "step \(step)")
                    let rankings = try await Self.getJSON("http://127.0.0.1:\(port)/rankings")
                    let first = rankings["rankings"]?[0]?["id"]?.double
                    #expect(detail["metric_rank"]?.string == (first == 1 ? "1/2" : "2/2"), "the rank agrees with the ranking")
                }
                api.signal(SIGTERM)
                #expect(try await api.exitStatus(within: .seconds(30)) == 0)
            }
        }

        @Test func importsACSVAndRefusesABadOneWhole() async throws {
            try await withTemporaryDirectory { directory in
                let good = directory.appendingPathComponent("good.csv")
                try Data(
                    """
                    ticker,metric_type,timestamp,value
                    KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,90000.5
                    KRAKEN:BTCUSD,price,2026-11-25T23:22:00Z,90001
                    KRAKEN:BTCUSD,volume,2026-11-25T23:21:00Z,3000
                    ZONDA:ETHUSD,price,2026-11-25T23:21:00Z,3000.25

                    """.utf8
                ).write(to: good)
                let bad = directory.appendingPathComponent("bad.csv")
                try Data(
                    "ticker,metric_type,timestamp,value\nKRAKEN:LTCUSD,price,2026-11-25T23:21:00Z,90\nKRAKEN:LTCUSD,price,yesterday,91\n"
                        .utf8
                ).write(to: bad)

                let imported = try RunningProcess(["import", "--csv", good.path, "--database", "history.sqlite"], in: directory)
                #expect(try await imported.exitStatus(within: .seconds(30)) == 0, "\(imported.log)")
                #expect(imported.log.contains("imported 4 samples"), "\(imported.log)")
                #expect(imported.log.contains("created 3 metrics"), "\(imported.log)")

                let refused = try RunningProcess(["import", "--csv", bad.path, "--database", "history.sqlite"], in: directory)
                #expect(try await refused.exitStatus(within: .seconds(30)) == 1)
                #expect(refused.log.contains("line 3"), "\(refused.log)")
                #expect(refused.log.contains("nothing of this file was stored"), "\(refused.log)")

                let store = try SQLiteMetricStore(path: directory.appendingPathComponent("history.sqlite").path)
                #expect(try await store.metrics().map(\.ticker.description).sorted() == ["KRAKEN:BTCUSD", "KRAKEN:BTCUSD", "ZONDA:ETHUSD"])

                let missing = try RunningProcess(["import", "--csv", "missing.csv", "--database", "other.sqlite"], in: directory)
                #expect(try await missing.exitStatus(within: .seconds(30)) == 1)
                #expect(missing.log.contains("missing.csv: cannot read the file"), "\(missing.log)")
                #expect(
                    !FileManager.default.fileExists(atPath: directory.appendingPathComponent("other.sqlite").path),
                    "no database is left behind"
                )
            }
        }

        @Test func refusesToStartWithABadConfigNamingFileKeyAndReason() async throws {
            try await withTemporaryDirectory { directory in
                try Data(#"{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD"]}], "poll_interval_seconds": 0}"#.utf8)
                    .write(to: directory.appendingPathComponent("bad.json"))
                let service = try RunningProcess(["serve", "--config", "bad.json", "--port", "0"], in: directory)
                #expect(try await service.exitStatus(within: .seconds(30)) != 0)
                #expect(service.log.contains("bad.json"), "\(service.log)")
                #expect(service.log.contains("poll_interval_seconds"), "\(service.log)")
                #expect(service.log.contains("from 1 to 86400"), "\(service.log)")
                #expect(
                    !FileManager.default.fileExists(atPath: directory.appendingPathComponent("cryptometrics.sqlite").path),
                    "nothing is created"
                )
            }
        }
    }
}
