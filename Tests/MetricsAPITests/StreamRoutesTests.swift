import Alerting
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MetricsCore
import MetricsStore
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import MetricsAPI

/// `GET /stream` over a real socket: each new sample as an event with its statistics, a filter by
/// metric, resuming after `Last-Event-ID`, a `reset` when that is not possible, heartbeats, and a
/// client cut off when it stops reading or the server shuts down. Each test publishes the
/// statistics' refreshes itself, so it decides exactly when events exist.
@Suite(.timeLimit(.minutes(3))) struct StreamRoutesTests {
    struct Harness {
        let store = InMemoryMetricStore()
        let statistics: LiveStatistics
        let stream: SampleStream
        let btc = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
        let eth = MetricKey(ticker: try! Ticker(parsing: "KRAKEN:ETHUSD"), type: .price)
        /// Each cycle is a second after the one before, ending near now.
        private let cycles = Counter()
        private let start = Timestamp.now.adding(seconds: -600)

        final class Counter: Sendable {
            private let count = Mutex(0)
            func next() -> Int {
                count.withLock {
                    $0 += 1; return $0
                }
            }
        }

        /// The server's idle timeout (`http.idle_timeout_seconds`).
        let idleTimeout: Duration

        init(configuration: SampleStream.Configuration = SampleStream.Configuration(), idleTimeout: Duration = .seconds(30)) {
            self.idleTimeout = idleTimeout
            statistics = LiveStatistics(store: store)
            stream = SampleStream(statistics: statistics, configuration: configuration)
        }

        /// Stores one sample of each of `values`' metrics, then refreshes and publishes, as the
        /// statistics service does; returns the cycle's timestamp.
        @discardableResult
        func cycle(_ values: [MetricKey: Double]) async throws -> Timestamp {
            let time = start.adding(seconds: Double(cycles.next()))
            try await store.record(values, at: time, origin: .polled(from: "test"))
            stream.publish(try await statistics.refresh())
            return time
        }

        func id(_ key: MetricKey) async throws -> Int64 {
            try await store.metrics().first { $0.key == key }!.id
        }

        /// Serves the API on a free port of 127.0.0.1 for the duration of `body`, after the first
        /// load of the statistics.
        func serve<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result {
            try await cycle([btc: 100, eth: 10])
            let (ports, port) = AsyncStream.makeStream(of: Int.self)
            let subscriptions = SubscriptionRoutes(
                keys: store, store: store, outbox: store, targets: WebhookTargetPolicy(allowPrivateTargets: true))
            let app = Application(
                router: buildRouter(statistics: statistics, stream: stream, subscriptions: subscriptions),
                server: HTTPLimits(idleTimeout: idleTimeout).server,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in
                    port.yield(channel.localAddress?.port ?? 0)
                    port.finish()
                },
                logger: Self.quiet
            )
            return try await withRunningService(app, logger: Self.quiet) {
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw CancellationError() }
                return try await body("http://127.0.0.1:\(port)")
            }
        }

        static var quiet: Logger {
            var logger = Logger(label: "stream-test")
            logger.logLevel = .critical
            return logger
        }
    }

    /// Problems of `data` against the document's `schema` (the stream's events are documented in
    /// /openapi.json like the other answers).
    private func violations(_ data: JSONValue, _ schema: String) -> [String] {
        let document = try! JSONParser.parse(Array(OpenAPIDocument.json.utf8))
        return SchemaValidator(document: document).violations(
            of: data, against: .object(["$ref": .string("#/components/schemas/\(schema)")]))
    }

    @Test func eachNewSampleArrivesWithItsMetricsStatistics() async throws {
        let harness = Harness()
        try await harness.serve { base in
            try await withEventStream(base + "/stream") { events in
                #expect(events.status == 200)
                #expect(events.header("Content-Type") == "text/event-stream; charset=utf-8")
                #expect(events.header("Cache-Control") == "no-store")
                let opening = try #require(try await events.next())
                #expect(opening.retry == 2000)
                let time = try await harness.cycle([harness.btc: 101, harness.eth: 11])
                var received: [Int64: JSONValue] = [:]
                for _ in 0..<2 {
                    let event = try #require(try await events.nextEvent())
                    #expect(event.name == "sample")
                    #expect(event.id?.hasPrefix(harness.stream.instance + "-") == true)
                    let data = try JSONParser.parse(Array(try #require(event.data).utf8))
                    #expect(violations(data, "SampleEvent") == [])
                    received[Int64(try #require(data["id"]?.double))] = data
                }
                for (key, value) in [(harness.btc, 101.0), (harness.eth, 11.0)] {
                    let id = try await harness.id(key)
                    let data = try #require(received[id])
                    let statistics = harness.statistics.read { $0.statistics(of: id, window: .oneDay) }
                    #expect(data["ticker"]?.string == key.ticker.description)
                    #expect(data["metric_type"]?.string == "price")
                    #expect(data["value"]?.double == value)
                    #expect(data["timestamp"]?.string == time.rfc3339)
                    #expect(data["window"]?.string == "24h")
                    #expect(data["samples"]?.double == 2)
                    #expect(data["standard_deviation"]?.double == statistics.standardDeviation)
                    #expect(data["coefficient_of_variation"]?.double == statistics.coefficientOfVariation)
                }
            }
        }
    }

    @Test func aFilteredStreamCarriesOnlyItsMetricsAndResets() async throws {
        let harness = Harness()
        try await harness.serve { base in
            let eth = try await harness.id(harness.eth)
            try await withEventStream(base + "/stream?metrics=\(eth)") { events in
                _ = try await events.next()
                try await harness.cycle([harness.btc: 101, harness.eth: 11])
                try await harness.cycle([harness.btc: 102])
                try await harness.cycle([harness.btc: 103, harness.eth: 13])
                var values: [Double] = []
                for _ in 0..<2 {
                    let event = try #require(try await events.nextEvent())
                    let data = try JSONParser.parse(Array(try #require(event.data).utf8))
                    #expect(data["id"]?.double == Double(eth))
                    values.append(try #require(data["value"]?.double))
                }
                #expect(values == [11, 13])
                harness.stream.publishReset(reason: "test")
                #expect(try await events.nextEvent()?.name == "reset")
            }
        }
    }

    @Test func reconnectingAfterAnEventResumesWithNothingLostOrRepeated() async throws {
        let harness = Harness()
        try await harness.serve { base in
            let lastSeen = try await withEventStream(base + "/stream") { events in
                _ = try await events.next()
                try await harness.cycle([harness.btc: 101, harness.eth: 11])
                return try #require(try await events.nextEvent()?.id)
            }
            // Gone after the first of the cycle's two events; three more cycles while away.
            for value in [102.0, 103, 104] { try await harness.cycle([harness.btc: value, harness.eth: value / 10]) }
            try await withEventStream(base + "/stream", lastEventID: lastSeen) { events in
                var received: [String] = []
                for _ in 0..<7 {
                    let event = try #require(try await events.nextEvent())
                    #expect(event.name == "sample")
                    received.append(try #require(event.id))
                }
                let sequences = received.map { UInt64($0.split(separator: "-")[1])! }
                let first = UInt64(lastSeen.split(separator: "-")[1])! + 1
                #expect(sequences == Array(first..<first + 7))
                try await harness.cycle([harness.btc: 105])
                #expect(try await events.nextEvent()?.id == "\(harness.stream.instance)-\(first + 7)")
            }
        }
    }

    @Test func anEventNoLongerKeptOrFromAnotherInstanceGetsAReset() async throws {
        var configuration = SampleStream.Configuration()
        configuration.replayBytes = 1  // only the newest batch is kept
        let harness = Harness(configuration: configuration)
        try await harness.serve { base in
            let old = try await withEventStream(base + "/stream") { events in
                _ = try await events.next()
                try await harness.cycle([harness.btc: 101])
                return try #require(try await events.nextEvent()?.id)
            }
            try await harness.cycle([harness.btc: 102])
            try await harness.cycle([harness.btc: 103])
            for lastEventID in [old, "elsewhere-1", "nonsense"] {
                try await withEventStream(base + "/stream", lastEventID: lastEventID) { events in
                    let reset = try #require(try await events.nextEvent())
                    #expect(reset.name == "reset")
                    // Its id is the newest event's, so that the client resumes from here next time.
                    #expect(reset.id == "\(harness.stream.instance)-\(harness.stream.head)")
                }
            }
            // The newest event's id is still good: nothing missed, nothing sent but what comes.
            try await withEventStream(base + "/stream", lastEventID: "\(harness.stream.instance)-\(harness.stream.head)") { events in
                try await harness.cycle([harness.btc: 104])
                let event = try #require(try await events.nextEvent())
                #expect(event.name == "sample")
                #expect(event.data?.contains("\"value\":104.0") == true)
            }
        }
    }

    /// Nobody connected, and nobody who left within the replay time: publishing costs nothing,
    /// and a client that comes back later is told to reset rather than missing what was skipped.
    @Test func anInstanceNobodyFollowsPublishesNothing() async throws {
        var configuration = SampleStream.Configuration()
        configuration.replay = .milliseconds(100)
        let harness = Harness(configuration: configuration)
        try await harness.serve { base in
            let left = try await withEventStream(base + "/stream") { events in
                _ = try await events.next()
                try await harness.cycle([harness.btc: 101])
                return try #require(try await events.nextEvent()?.id)
            }
            // The server learns that a client went at its next write to it.
            var value = 101.0
            let gone = try await eventually { () -> Bool? in
                value += 1
                try await harness.cycle([harness.btc: value])
                return harness.stream.clients == 0 ? true : nil
            }
            #expect(gone == true)
            // Cycles go on being published until the replay time after the client left is over.
            let quiet = try await eventually(within: .seconds(30)) { () -> Bool? in
                let head = harness.stream.head
                value += 1
                try await harness.cycle([harness.btc: value])
                return harness.stream.head == head ? true : nil
            }
            #expect(quiet == true, "publishing went on with nobody following")
            let head = harness.stream.head
            try await harness.cycle([harness.btc: 103, harness.eth: 13])
            #expect(harness.stream.head == head, "nothing published while nobody follows")
            let answer = try await withEventStream(base + "/stream", lastEventID: left) { events in
                try await events.nextEvent()?.name
            }
            #expect(answer == "reset")
        }
    }

    /// Alerts go to the streams opened with their subscription's key, from the outbox (so from
    /// whichever instance recorded them), and to no other stream.
    @Test func aKeysStreamCarriesItsAlertsAndNoOneElses() async throws {
        let harness = Harness()
        let alice = APIKeySecret.generate()
        let bob = APIKeySecret.generate()
        let aliceID = try await harness.store.createKey(name: "alice", hash: alice.hash, at: .now).id
        _ = try await harness.store.createKey(name: "bob", hash: bob.hash, at: .now)
        try await harness.serve { base in
            let metric = try await harness.id(harness.btc)
            let subscription = try await harness.store.createSubscription(
                SubscriptionDraft(
                    owner: aliceID, metricID: metric, rule: try AlertRule(.threshold(.above, 10)),
                    webhookURL: "http://127.0.0.1:9/hook", secret: "whsec_test"),
                at: .now)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await harness.stream.followAlerts(in: harness.store, every: .milliseconds(20), logger: Harness.quiet)
                }
                defer { group.cancelAll() }
                try await withEventStream(base + "/stream", bearer: alice.text) { alices in
                    try await withEventStream(base + "/stream", bearer: bob.text) { bobs in
                        try await withEventStream(base + "/stream") { anyones in
                            for stream in [alices, bobs, anyones] { _ = try await stream.next() }
                            // The follower starts from the moment it sees a client: fire episodes
                            // until one is recorded after that.
                            var episode = 0
                            var revision = subscription.revision
                            let alert = try await eventually(within: .seconds(60), every: .milliseconds(100)) { () -> ServerSentEvent? in
                                episode += 1
                                let state = AlertState(status: .firing, streak: 0, episode: episode, lastSent: .now, episodeSent: true)
                                // As the detector writes it (Alerting's AlertEventData).
                                let data = """
                                    {"episode":\(episode),"metric_id":\(metric),"metric_type":"price","rule":\(subscription.rule.json),\
                                    "sample_time":"\(Timestamp.now.rfc3339)","subscription_id":\(subscription.id),"ticker":"KRAKEN:BTCUSD",\
                                    "value":\(100 + episode).0}
                                    """
                                let event = NewAlertEvent(kind: .firing, episode: episode, isSent: true, sampleTime: .now, data: data)
                                if case .advanced(let next, _) = try await harness.store.advance(
                                    AlertAdvance(
                                        subscriptionID: subscription.id, expectedRevision: revision, state: state, judgedThrough: .now,
                                        events: [event], at: .now))
                                {
                                    revision = next
                                }
                                return try? await alices.nextEvent(within: .milliseconds(500))
                            }
                            let received = try #require(alert)
                            #expect(received.name == "alert")
                            let data = try JSONParser.parse(Array(try #require(received.data).utf8))
                            #expect(violations(data, "AlertStreamEvent") == [])
                            #expect(data["type"]?.string == "alert.firing")
                            #expect(data["subscription_id"]?.double == Double(subscription.id))
                            #expect(data["status"]?.string == "pending")
                            #expect(data["event_id"]?.string?.hasPrefix("evt_") == true)
                            #expect(data["data"]?["subscription_id"]?.double == Double(subscription.id))
                            // A sample after it: the others get that first, never the alert.
                            try await harness.cycle([harness.btc: 101])
                            for stream in [bobs, anyones] { #expect(try await stream.nextEvent()?.name == "sample") }
                        }
                    }
                }
            }
            let refused = try await HTTPClient.shared.execute(
                {
                    var request = HTTPClientRequest(url: base + "/stream")
                    request.headers.add(name: "Authorization", value: "Bearer cm_not-a-key")
                    return request
                }(), timeout: .seconds(10))
            #expect(refused.status.code == 401)
        }
    }

    /// A filtered client is sent nothing while only other metrics move: it gets heartbeats all
    /// the same, so that proxies keep its connection.
    @Test func aFilteredStreamGetsHeartbeatsWhileOtherMetricsMove() async throws {
        var configuration = SampleStream.Configuration()
        configuration.heartbeat = .milliseconds(300)
        let harness = Harness(configuration: configuration)
        try await harness.serve { base in
            try await withEventStream(base + "/stream?metrics=\(try await harness.id(harness.eth))") { events in
                _ = try await events.next()
                var value = 100.0
                let heartbeat = try await eventually(within: .seconds(30), every: .milliseconds(50)) { () -> Bool? in
                    value += 1
                    try await harness.cycle([harness.btc: value])
                    guard let event = try? await events.next(within: .milliseconds(10)) else { return nil }
                    return event.comment == "heartbeat" ? true : nil
                }
                #expect(heartbeat == true)
            }
        }
    }

    @Test func aStreamOutlivesTheConnectionsIdleTimeout() async throws {
        // A short idle timeout, which no stream may meet: a response being written is not idle.
        let harness = Harness(idleTimeout: .seconds(2))
        try await harness.serve { base in
            try await withEventStream(base + "/stream") { events in
                _ = try await events.next()
                // Longer than the idle timeout, with nothing sent either way (heartbeats come at 15 s).
                try await Task.sleep(for: harness.idleTimeout * 3)
                _ = try await harness.cycle([harness.btc: 102])
                let event = try #require(try await events.nextEvent())
                #expect(event.name == "sample")
            }
        }
    }

    @Test func aQuietStreamGetsHeartbeats() async throws {
        var configuration = SampleStream.Configuration()
        configuration.heartbeat = .milliseconds(100)
        let harness = Harness(configuration: configuration)
        try await harness.serve { base in
            try await withEventStream(base + "/stream") { events in
                _ = try await events.next()
                #expect(try await events.next()?.comment == "heartbeat")
                #expect(try await events.next()?.comment == "heartbeat")
            }
        }
    }

    @Test func aClientThatStopsReadingIsCutOffAndOthersGoOn() async throws {
        var configuration = SampleStream.Configuration()
        configuration.stallTimeout = .seconds(1)
        configuration.clientLagBytes = 1 << 30
        let harness = Harness(configuration: configuration)
        try await harness.serve { base in
            let port = Int(base.split(separator: ":").last!)!
            // Sends its request with a key, then never reads: the server's writes to it stop
            // completing.
            let key = APIKeySecret.generate()
            let owner = try await harness.store.createKey(name: "stuck", hash: key.hash, at: .now).id
            let stuck = try StalledClient(port: port, path: "/stream", headers: "Authorization: Bearer \(key.text)\r\n")
            defer { stuck.close() }
            #expect(try await eventually { harness.stream.clients == 1 ? true : nil } == true)
            try await withEventStream(base + "/stream?metrics=\(try await harness.id(harness.eth))") { events in
                _ = try await events.next()
                #expect(harness.stream.clients == 2)
                // 150 alert events of 60 KB for the stuck client's key, 9 MB: more than the socket
                // buffers hold (4 MiB at most, Linux's default). The other client, with no key,
                // is sent none of it, so its own writes stay small however loaded the machine.
                let data = #"{"padding":""# + String(repeating: "x", count: 60_000) + #""}"#
                let alerts = (1...150).map { index in
                    RecordedAlertEvents.Owned(
                        event: AlertEvent(
                            id: Int64(index), subscriptionID: 1, kind: .firing, episode: index, status: .pending, sampleTime: .now,
                            createdAt: .now, data: data, attempts: 0, nextAttemptAt: nil, deliveredAt: nil, lastError: nil),
                        owner: owner)
                }
                harness.stream.publishAlerts(alerts)
                let cutOff = try await eventually(within: .seconds(30)) { harness.stream.clients == 1 ? true : nil }
                #expect(cutOff == true, "the client that stopped reading was not cut off")
                // The client that reads goes on.
                try await harness.cycle([harness.eth: 12])
                let next = try await events.nextEvent()
                #expect(next?.name == "sample" && next?.data?.contains("\"value\":12.0") == true)
            }
        }
    }

    @Test func shutdownEndsOpenStreamsPromptly() async throws {
        // No heartbeat for ten minutes: a stream that ends before that ended with the shutdown.
        var configuration = SampleStream.Configuration()
        configuration.heartbeat = .seconds(600)
        let harness = Harness(configuration: configuration)
        try await harness.cycle([harness.btc: 100])
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: buildRouter(statistics: harness.statistics, stream: harness.stream),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                port.yield(channel.localAddress?.port ?? 0)
                port.finish()
            },
            logger: Harness.quiet
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: Harness.quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await withEventStream("http://127.0.0.1:\(port)/stream") { events in
                _ = try await events.next()
                #expect(harness.stream.clients == 1)
                await group.triggerGracefulShutdown()
                // The graceful shutdown cancels the stream's writer, not a tick or a heartbeat.
                #expect(try await events.ends(within: .seconds(120)))
            }
            try await tasks.waitForAll()
        }
        #expect(harness.stream.clients == 0)
    }

    @Test func malformedStreamRequestsAreRefusedWithWhatToFix() async throws {
        let harness = Harness()
        try await harness.cycle([harness.btc: 100])
        let app = Application(router: buildRouter(statistics: harness.statistics, stream: harness.stream))
        try await app.test(.router) { client in
            let tooMany = (1...1001).map(String.init).joined(separator: ",")
            for (query, status, message) in [
                ("metrics=abc", 400, "Invalid metrics \"abc\". Give metric ids separated by commas, such as metrics=1,2,3."),
                ("metrics=1,,2", 400, "Invalid metrics \"1,,2\". Give metric ids separated by commas, such as metrics=1,2,3."),
                ("metrics=0", 400, "Invalid metrics \"0\". Give metric ids separated by commas, such as metrics=1,2,3."),
                ("metrics=1,999", 404, "No such metric with ID 999. GET /metrics lists them."),
                ("metrics=\(tooMany)", 400, "metrics lists 1001 ids; give at most 1000, or none for every metric."),
                ("metric=1", 400, "Unknown query parameter \"metric\". This endpoint takes \"metrics\"."),
            ] {
                let response = try await client.execute(uri: "/stream?\(query)", method: .get)
                #expect(response.status.code == status, "\(query)")
                #expect(try response.json["error"]?.string == message)
            }
        }
    }
}

/// A client that sends a request and then never reads, as a stuck or hostile client would.
final class StalledClient: Sendable {
    private let descriptor: Int32

    init(port: Int, path: String, headers: String = "") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        // A small receive buffer, so that the server's writes stall sooner.
        var size: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\(headers)\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
    }

    func close() { _ = Glibc.close(descriptor) }
}
