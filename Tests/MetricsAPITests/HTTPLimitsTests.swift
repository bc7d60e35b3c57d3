import Hummingbird
import Logging
import MetricsAPI
import MetricsCore
import MetricsStore
import TestSupport
import Testing

/// The bounds on what one client may send, over a real socket: a long target (414), long headers
/// (431), a head past the decoder's bound (431, then closed), a head sent a byte at a time
/// (slowloris) and an idle keep-alive connection (closed after the idle timeout).
@Suite struct HTTPLimitsTests {
    /// Serves the API over an empty store on a free port of 127.0.0.1 for the length of `body`.
    private func serve(limits: HTTPLimits, _ body: @Sendable (Int) async throws -> Void) async throws {
        let store = InMemoryMetricStore()
        try await store.record(
            [MetricKey(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), type: .price): 100], at: .now, origin: .polled(from: "test"))
        let statistics = LiveStatistics(store: store)
        try await statistics.refresh()
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "limits-test")
        quiet.logLevel = .critical
        let app = Application(
            router: buildRouter(statistics: statistics, limits: limits),
            server: limits.server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                port.yield(channel.localAddress?.port ?? 0)
                port.finish()
            },
            logger: quiet
        )
        try await withRunningService(app, logger: quiet) {
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            try await body(port)
        }
    }

    private static func get(_ target: String, headers: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n"
    }

    @Test func aLongTargetGets414AndLongHeaders431AndTheConnectionGoesOn() async throws {
        try await serve(limits: HTTPLimits()) { port in
            try await RawConnection.with(port: port) { connection in
                await connection.send(Self.get("/metrics?pad=" + String(repeating: "x", count: 9_000)))
                let long = try #require(try await connection.readResponse())
                #expect(long.status == 414)
                #expect(long.headers["content-type"] == "application/json; charset=utf-8")
                #expect(long.headers["x-content-type-options"] == "nosniff")
                #expect(long.body.contains("at most 8192 are answered"), "\(long.body)")

                let padding = (0..<20).map { "X-Pad-\($0): \(String(repeating: "y", count: 1_000))\r\n" }.joined()
                await connection.send(Self.get("/metrics", headers: padding))
                let heavy = try #require(try await connection.readResponse())
                #expect(heavy.status == 431)
                #expect(heavy.body.contains("at most 16384 are answered"), "\(heavy.body)")

                // Both were answered like any refused request: the connection still serves.
                await connection.send(Self.get("/metrics"))
                let fine = try #require(try await connection.readResponse())
                #expect(fine.status == 200 && fine.body.contains("KRAKEN:BTCUSD"))
            }
        }
    }

    @Test func aHeadPastTheDecodersBoundGets431AndTheConnectionCloses() async throws {
        try await serve(limits: HTTPLimits()) { port in
            try await RawConnection.with(port: port) { connection in
                let padding = (0..<70).map { "X-Pad-\($0): \(String(repeating: "z", count: 1_000))\r\n" }.joined()
                await connection.send(Self.get("/metrics", headers: padding))
                let answer = try #require(try await connection.readResponse())
                #expect(answer.status == 431)
                #expect(answer.headers["content-type"] == "application/json; charset=utf-8")
                #expect(answer.headers["x-content-type-options"] == "nosniff")
                #expect(answer.body == #"{"error":"The request head is larger than 64 KiB; send a shorter path, query and headers."}"#)
                try await connection.read()
                #expect(connection.closedByPeer)
            }
        }
    }

    @Test func aPipelinedRequestBeforeAnOversizedHeadGetsItsOwnAnswerFirst() async throws {
        try await serve(limits: HTTPLimits()) { port in
            try await RawConnection.with(port: port) { connection in
                // Both in one write: the server reads the first request and meets the oversized
                // head while the first is still being answered.
                let padding = (0..<70).map { "X-Pad-\($0): \(String(repeating: "z", count: 1_000))\r\n" }.joined()
                await connection.send(Self.get("/metrics") + Self.get("/metrics", headers: padding))
                let first = try #require(try await connection.readResponse())
                #expect(first.status == 200 && first.body.contains("KRAKEN:BTCUSD"), "\(first.status): \(first.body)")
                let second = try #require(try await connection.readResponse())
                #expect(second.status == 431)
                try await connection.read()
                #expect(connection.closedByPeer)
            }
        }
    }

    @Test func aHeadSentAByteAtATimeIsCutOffAfterTheIdleTimeout() async throws {
        let timeout = Duration.seconds(1)
        try await serve(limits: HTTPLimits(idleTimeout: timeout)) { port in
            // Before connecting: the server's timer cannot start earlier.
            let started = ContinuousClock.now
            try await RawConnection.with(port: port) { connection in
                // A head that never ends, a byte every 50 ms: each byte alone would keep a read
                // timeout from firing. Bounded: 1,200 bytes is a minute.
                var sent = 0
                for byte in Self.get("/metrics", headers: "X-Slow: " + String(repeating: "s", count: 1_200)).utf8.prefix(1_200) {
                    // Once the server has closed, a write fails.
                    guard await connection.send(String(UnicodeScalar(byte))) else { break }
                    sent += 1
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await connection.read(timeout: .seconds(30))
                #expect(connection.closedByPeer, "still open after \(sent) bytes")
                #expect(ContinuousClock.now - started >= timeout, "closed before the timeout")
                #expect(connection.received.isEmpty, "a head never finished gets no answer")
            }
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        // Long enough that the request surely comes within it after connecting, on a loaded machine.
        let timeout = Duration.seconds(3)
        try await serve(limits: HTTPLimits(idleTimeout: timeout)) { port in
            try await RawConnection.with(port: port) { connection in
                // The server's timer starts when it has answered, which is after this.
                let asked = ContinuousClock.now
                await connection.send(Self.get("/metrics"))
                let answer = try #require(try await connection.readResponse())
                #expect(answer.status == 200 && answer.headers["connection"] != "close")
                try await connection.read(timeout: .seconds(30))
                #expect(connection.closedByPeer, "a connection that sends nothing is closed")
                #expect(ContinuousClock.now - asked >= timeout, "closed before the timeout")
            }
        }
    }
}
