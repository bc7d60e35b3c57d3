import HTTPTypes
import Hummingbird
import MetricsCore
import MetricsStore
import ServiceLifecycle
import Synchronization

/// `GET /stream`: server-sent events, a `sample` for each new sample of every metric (or of those
/// in `?metrics=1,2,3`), resumed after `Last-Event-ID`.
struct StreamController {
    let stream: SampleStream
    let statistics: LiveStatistics
    /// The keys a stream may be opened with, to carry that key's alerts; `nil` where the store
    /// keeps none.
    let keys: (any APIKeyStore)?

    /// At most this many ids in `?metrics=`.
    static var mostMetrics: Int { 1_000 }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("stream", use: open)
    }

    @Sendable func open(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["metrics"])
        let filter = try query.text("metrics").map(metricIDs)
        // With a key, the key's alerts too; a key given but not active is refused, not ignored.
        var owner: Int64?
        if BearerKey.isPresented(in: request) {
            guard let keys else { throw BearerKey.refusal }
            owner = try await BearerKey.owner(of: request, keys: keys)
        }
        let (position, missed) = stream.resume(after: request.headers[.lastEventID])
        let connection = StreamConnection(stream: stream, filter: filter, owner: owner, position: position, missed: missed)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-store",
                // nginx would otherwise take in what a slow client does not read (up to its
                // temporary files' limit), hiding it from the stall and lag cut-offs here.
                .xAccelBuffering: "no",
            ],
            body: ResponseBody { writer in try await stream.connect { try await connection.run(&writer) } }
        )
    }

    /// The ids in `?metrics=`: each one a metric this instance knows, once it has loaded.
    private func metricIDs(_ text: String) throws(APIError) -> Set<Int64> {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= Self.mostMetrics else {
            throw APIError(.badRequest, "metrics lists \(parts.count) ids; give at most \(Self.mostMetrics), or none for every metric.")
        }
        var ids: Set<Int64> = []
        for part in parts {
            guard let id = Int64(part), id > 0 else {
                throw APIError(.badRequest, "Invalid metrics \"\(text)\". Give metric ids separated by commas, such as metrics=1,2,3.")
            }
            ids.insert(id)
        }
        if statistics.isLoaded, let unknown = statistics.read({ book in ids.sorted().first { book.metric($0) == nil } }) {
            throw APIError(.notFound, "No such metric with ID \(unknown). GET /metrics lists them.")
        }
        return ids
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}

/// One client of `GET /stream`: sends it the log from its position on, and cuts it off when it
/// falls too far behind, stops taking what it is sent, or the server shuts down.
struct StreamConnection: Sendable {
    let stream: SampleStream
    let filter: Set<Int64>?
    /// The key the stream was opened with: its alerts are sent too.
    let owner: Int64?
    let position: UInt64
    let missed: Bool

    /// Why a stream ended other than by the client going away.
    enum Ending: Error, CustomStringConvertible {
        case stalled(Duration)

        var description: String {
            switch self {
            case .stalled(let timeout): "the client took nothing for \(timeout); its stream was cut off"
            }
        }
    }

    /// How the first of the connection's two tasks ended.
    private enum Outcome: Sendable {
        /// The writer let the client go (it fell behind) or ran out of log: end the response.
        case letGo
        /// The watch saw a write wait longer than the stall timeout.
        case stalled
        /// The server is shutting down.
        case shuttingDown
    }

    /// The response's writer, handed to the tasks that write, one at a time, so that another task
    /// can cancel a write that never completes. The original is not used once it is handed on.
    private struct HandedWriter: @unchecked Sendable {
        var writer: any ResponseBodyWriter
    }

    /// The end of the response must get through within this, or the connection is closed.
    static var finishTimeout: Duration { .seconds(1) }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let handed = HandedWriter(writer: writer)
        let writing = WriteWatch()
        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var handed = handed
                try await send(to: &handed.writer, watch: writing)
                return .letGo
            }
            group.addTask { await watch(writing) }
            // Whichever ends first ends the other: the client went away (the writer throws) or
            // fell behind, the server is shutting down, or a write stalled.
            defer { group.cancelAll() }
            return try await group.next()!
        }
        if outcome == .stalled {
            stream.telemetry.cutOff(stalled: true)
            throw Ending.stalled(stream.configuration.stallTimeout)
        }
        // The end is a write too, and a client that stopped reading would hold it forever.
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var handed = handed
                return (try? await handed.writer.finish(nil)) != nil
            }
            group.addTask {
                try? await Task.sleep(for: Self.finishTimeout)
                return false
            }
            defer { group.cancelAll() }
            return await group.next()!
        }
        if !finished { throw Ending.stalled(Self.finishTimeout) }
    }

    /// Writes the backlog, then each batch as it is published, and a heartbeat whenever this
    /// client has been sent nothing for the heartbeat interval (a filtered client may be sent
    /// nothing while others are); returns when the client fell further behind than its allowance.
    private func send(to writer: inout any ResponseBodyWriter, watch: WriteWatch) async throws {
        let configuration = stream.configuration
        let clock = ContinuousClock()
        var position = position
        // `retry:` sets how soon the browser reconnects after the stream drops.
        var opening = ByteBuffer(string: ": cryptometrics live stream\nretry: 2000\n\n")
        if missed {
            var encoder = StreamEventEncoder(instance: stream.instance)
            encoder.reset(
                reason: "Events after the one given in Last-Event-ID are no longer kept here; reload what you show.", sequence: position)
            opening.writeImmutableBuffer(encoder.finish().bytes)
        }
        try await watch.write(opening, to: &writer)
        var lastWrite = clock.now
        var allowance: Int?
        while true {
            guard let (batches, lag) = stream.backlog(after: position) else {
                return  // what it missed is no longer kept: it reconnects and is told to reset
            }
            if let newest = batches.last {
                // The lag at connection is what it asked to be sent; it may fall only so much
                // further behind, not counting the batch just published, which no client could
                // have read yet.
                let limit = allowance ?? lag + configuration.clientLagBytes
                allowance = limit
                guard lag - newest.bytes.readableBytes <= limit else {
                    stream.telemetry.cutOff(stalled: false)
                    return
                }
                let chunk = pending(batches, after: position)
                if chunk.bytes.readableBytes > 0 {
                    try await watch.write(chunk.bytes, to: &writer)
                    lastWrite = clock.now
                }
                position = chunk.through
            } else {
                let quiet = lastWrite + configuration.heartbeat - clock.now
                if quiet > .zero { await stream.wait(after: position, upTo: quiet) }
                try Task.checkCancellation()
            }
            if clock.now - lastWrite >= configuration.heartbeat {
                try await watch.write(ByteBuffer(string: ": heartbeat\n\n"), to: &writer)
                lastWrite = clock.now
            }
        }
    }

    /// The events after `position` this client wants, up to about a quarter of a mebibyte so that
    /// one write stays bounded: a whole batch's buffer as it is (shared, not copied) when it wants
    /// every event of it, else the matching events copied out.
    private func pending(_ batches: ArraySlice<SampleStream.Batch>, after position: UInt64) -> (bytes: ByteBuffer, through: UInt64) {
        let cap = 256 << 10
        var output: ByteBuffer?
        var through = position
        for batch in batches {
            if let output, output.readableBytes >= cap { break }
            let skip = Int(max(position + 1, batch.first) - batch.first)
            if filter == nil, skip == 0, output == nil, batch.isPublic {
                output = batch.bytes
                through = batch.last
                continue
            }
            if output == nil { output = ByteBuffer() }
            for (offset, event) in batch.events.enumerated().dropFirst(skip) {
                if output!.readableBytes >= cap { return (output!, through) }
                if wants(event) {
                    output!.writeImmutableBuffer(batch.bytes.getSlice(at: event.range.lowerBound, length: event.range.count)!)
                }
                through = batch.first + UInt64(offset)
            }
        }
        return (output ?? ByteBuffer(), through)
    }

    /// Whether this client is sent `event`: its metric is one asked for (or it asked for all, or
    /// the event is about none), and it is anyone's or this client's key's.
    private func wants(_ event: SampleStream.Event) -> Bool {
        if let owner = event.owner, owner != self.owner { return false }
        guard let metric = event.metricID, let filter else { return true }
        return filter.contains(metric)
    }

    /// Returns when a write has waited longer than the stall timeout, or when the server shuts
    /// down; cancelled when the writer ends first.
    private func watch(_ writing: WriteWatch) async -> Outcome {
        let timeout = stream.configuration.stallTimeout
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: .seconds(1))
                    if let started = writing.startedAt, ContinuousClock.now - started > timeout { return }
                }
            }
            return .stalled
        } catch {
            // Shutting down (or the writer ended first, when the outcome is not read).
            return .shuttingDown
        }
    }
}

/// When the write under way started, if one is: read by the watch to cut off a client that stopped
/// reading.
final class WriteWatch: Sendable {
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    var startedAt: ContinuousClock.Instant? { started.withLock { $0 } }

    func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        started.withLock { $0 = .now }
        defer { started.withLock { $0 = nil } }
        try await writer.write(buffer)
    }
}
