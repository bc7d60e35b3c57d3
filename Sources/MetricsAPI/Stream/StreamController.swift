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
                // nginx would otherwise hold events back to fill its buffer.
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

    /// The response's writer, handed to the one task that writes, so that another can cancel that
    /// task when a write never completes. Only that task touches it until it ends.
    private struct HandedWriter: @unchecked Sendable {
        var writer: any ResponseBodyWriter
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let handed = HandedWriter(writer: writer)
        let writing = WriteWatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var handed = handed
                try await send(to: &handed.writer, watch: writing)
            }
            group.addTask { try await watch(writing) }
            // Whichever ends first ends the other: the client went away or fell behind, the
            // server is shutting down, or a write stalled.
            defer { group.cancelAll() }
            try await group.next()
        }
        // A write still pending would never let the end through: the error closes the connection.
        if writing.startedAt != nil {
            stream.telemetry.cutOff(stalled: true)
            throw Ending.stalled(stream.configuration.stallTimeout)
        }
        try await writer.finish(nil)
    }

    /// Writes the backlog, then each batch as it is published, and a heartbeat after quiet spells;
    /// returns when the client fell further behind than its allowance.
    private func send(to writer: inout any ResponseBodyWriter, watch: WriteWatch) async throws {
        let configuration = stream.configuration
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
        var allowance: Int?
        while true {
            guard let (batches, lag) = stream.backlog(after: position) else {
                return  // what it missed is no longer kept: it reconnects and is told to reset
            }
            if batches.isEmpty {
                await stream.wait(after: position, upTo: configuration.heartbeat)
                try Task.checkCancellation()
                if stream.head == position { try await watch.write(ByteBuffer(string: ": heartbeat\n\n"), to: &writer) }
                continue
            }
            // The lag at connection is what it asked to be sent; it may only fall so much further.
            let limit = allowance ?? lag + configuration.clientLagBytes
            allowance = limit
            guard lag <= limit else {
                stream.telemetry.cutOff(stalled: false)
                return
            }
            let chunk = pending(batches, after: position)
            if chunk.bytes.readableBytes > 0 { try await watch.write(chunk.bytes, to: &writer) }
            position = chunk.through
        }
    }

    /// The events after `position` this client wants, from the first batches only, so that one
    /// write stays around a quarter of a mebibyte: whole batches as they are when it wants every
    /// event, else the matching events copied out.
    private func pending(_ batches: ArraySlice<SampleStream.Batch>, after position: UInt64) -> (bytes: ByteBuffer, through: UInt64) {
        var output: ByteBuffer?
        var through = position
        for batch in batches {
            if let output, output.readableBytes >= 256 << 10 { break }
            let skip = Int(max(position + 1, batch.first) - batch.first)
            if filter == nil, skip == 0, output == nil, batch.isPublic {
                output = batch.bytes
            } else {
                if output == nil { output = ByteBuffer() }
                for event in batch.events[skip...] where wants(event) {
                    output!.writeImmutableBuffer(batch.bytes.getSlice(at: event.range.lowerBound, length: event.range.count)!)
                }
            }
            through = batch.last
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

    /// Cuts the stream off when a write has waited longer than the stall timeout, or when the
    /// server shuts down (the stream's task is cancelled then).
    private func watch(_ writing: WriteWatch) async throws {
        let timeout = stream.configuration.stallTimeout
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: .seconds(1))
                    if let started = writing.startedAt, ContinuousClock.now - started > timeout { return }
                }
            }
        } catch is CancellationError {
            // Shutting down, or the stream ended otherwise: either way, done watching.
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
        try await writer.write(buffer)
        started.withLock { $0 = nil }
    }
}
