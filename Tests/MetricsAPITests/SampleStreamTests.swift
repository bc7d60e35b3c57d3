import HTTPTypes
import Hummingbird
import MetricsCore
import MetricsStore
import Synchronization
import TestSupport
import Testing

@testable import MetricsAPI

/// The stream's log and one connection, without a socket: a client let go when it falls behind,
/// and the gap left when publishing stops for want of followers.
@Suite(.timeLimit(.minutes(2))) struct SampleStreamTests {
    /// A response writer whose writes after the first `passing` wait until the test opens it.
    final class GatedWrites: Sendable {
        private struct State {
            var written: [String] = []
            var passing: Int
            var waiting: [CheckedContinuation<Void, Never>] = []
            var finished = false
        }

        private let state: Mutex<State>

        init(passing: Int) {
            state = Mutex(State(passing: passing))
        }

        var written: [String] { state.withLock { $0.written } }
        var finished: Bool { state.withLock { $0.finished } }

        func open() {
            let waiting = state.withLock { state in
                state.passing = .max
                defer { state.waiting.removeAll() }
                return state.waiting
            }
            for waiter in waiting { waiter.resume() }
        }

        func write(_ buffer: ByteBuffer) async {
            await withCheckedContinuation { continuation in
                let passes = state.withLock { state in
                    state.written.append(String(buffer: buffer))
                    if state.written.count <= state.passing { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if passes { continuation.resume() }
            }
        }

        func finish() { state.withLock { $0.finished = true } }
    }

    struct GatedWriter: ResponseBodyWriter {
        let sink: GatedWrites
        mutating func write(_ buffer: ByteBuffer) async throws { await sink.write(buffer) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws { sink.finish() }
    }

    /// One connection, allowed `lagBytes`, whose first event's write waits at the gate while five
    /// more 2 KB events are published; `body` runs once the gate is open.
    private func withStuckThenFreed(lagBytes: Int, _ body: (GatedWrites) async throws -> Void) async throws {
        var configuration = SampleStream.Configuration()
        configuration.clientLagBytes = lagBytes
        configuration.stallTimeout = .seconds(3_600)
        configuration.heartbeat = .seconds(3_600)
        let stream = SampleStream(statistics: LiveStatistics(store: InMemoryMetricStore()), configuration: configuration)
        let reason = String(repeating: "x", count: 2_000)
        let sink = GatedWrites(passing: 1)
        let connection = StreamConnection(stream: stream, filter: nil, owner: nil, position: stream.head, missed: false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var writer: any ResponseBodyWriter = GatedWriter(sink: sink)
                try await connection.run(&writer)
            }
            // The opening passes; the first event's write waits at the gate.
            #expect(try await eventually { sink.written.count == 1 ? true : nil } == true)
            stream.publishReset(reason: reason)
            #expect(try await eventually { sink.written.count == 2 ? true : nil } == true)
            for _ in 0..<5 { stream.publishReset(reason: reason) }
            sink.open()
            try await body(sink)
            group.cancelAll()
        }
    }

    @Test func aClientThatFallsTooFarBehindIsLetGoAndTheStreamEnded() async throws {
        // 10 KB behind, 8 KB not counting the newest, over the allowance of 2 KB (its lag when it
        // first had something to take) plus 4 KB.
        try await withStuckThenFreed(lagBytes: 4_096) { sink in
            let ended = try await eventually(within: .seconds(30)) { sink.finished ? true : nil }
            #expect(ended == true, "the response was ended, so the client reconnects")
            #expect(sink.written.count == 2, "nothing more was sent once it was too far behind")
        }
    }

    @Test func aClientWithinItsAllowanceIsSentEverything() async throws {
        try await withStuckThenFreed(lagBytes: 64 << 10) { sink in
            let all = try await eventually { sink.written.joined().components(separatedBy: "event: reset").count - 1 == 6 ? true : nil }
            #expect(all == true, "every event arrived")
            #expect(!sink.finished)
        }
    }

    /// When nobody follows, the log is forgotten and the numbering skips one: a client that comes
    /// back with the id of the last event published is told to reset, rather than waiting for
    /// events after it while the skipped ones are lost.
    @Test func publishingStoppedForWantOfFollowersLeavesAGap() async throws {
        var configuration = SampleStream.Configuration()
        configuration.replay = .milliseconds(50)
        let store = InMemoryMetricStore()
        let statistics = LiveStatistics(store: store)
        let stream = SampleStream(statistics: statistics, configuration: configuration)
        let btc = MetricKey(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
        var second = 0.0
        func cycle() async throws {
            second += 1
            try await store.record([btc: 100 + second], at: Timestamp.now.adding(seconds: -600 + second), origin: .polled(from: "test"))
            stream.publish(try await statistics.refresh())
        }
        try await cycle()  // the first load
        try await stream.connect { try await cycle() }
        var lastPublished = try #require(stream.newestKept)
        // Published until the replay time after the client went is over, then forgotten.
        let forgotten = try await eventually(within: .seconds(30)) { () -> Bool? in
            if let newest = stream.newestKept { lastPublished = newest } else { return true }
            try await cycle()
            return nil
        }
        #expect(forgotten == true)
        #expect(stream.resume(after: "\(stream.instance)-\(lastPublished)").missed, "told to reset")
        #expect(!stream.resume(after: "\(stream.instance)-\(stream.head)").missed, "the newest id resumes")
    }
}
