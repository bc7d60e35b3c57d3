import AsyncHTTPClient
import NIOCore
import Synchronization

/// One event of a server-sent event stream, or a comment line (`: heartbeat`).
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var data: String?
    /// The text of a comment line, for a comment.
    public var comment: String?
    public var retry: Int?
}

/// Opens `url` as a `text/event-stream` (with `Last-Event-ID` when given) and hands `body` the
/// stream while a child task reads it; the connection is closed when `body` returns.
public func withEventStream<Result: Sendable>(
    _ url: String, lastEventID: String? = nil, bearer: String? = nil, client: HTTPClient = .shared,
    _ body: (EventStream) async throws -> Result
) async throws -> Result {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Accept", value: "text/event-stream")
    if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
    if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
    let response = try await client.execute(request, timeout: .seconds(60))
    let stream = EventStream(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                for try await buffer in response.body { stream.received(buffer.readableBytesView) }
                stream.ended(nil)
            } catch {
                stream.ended(error)
            }
        }
        defer { group.cancelAll() }
        return try await body(stream)
    }
}

/// What has arrived of a stream, read one event at a time, each read bounded by a deadline so that
/// a test never waits on a stream forever.
public final class EventStream: Sendable {
    private struct State {
        /// Bytes of an event not complete yet, of which the first `scanned` hold no blank line.
        var pending: [UInt8] = []
        var scanned = 0
        var events: [ServerSentEvent] = []
        var isEnded = false
        var failure: String?
    }

    public let status: Int
    public let headers: [(String, String)]
    private let state = Mutex(State())

    init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The next event or comment, `nil` once the stream has ended; throws when `deadline` passes
    /// first.
    public func next(within deadline: Duration = .seconds(60)) async throws -> ServerSentEvent? {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let (event, isEnded) = state.withLock { state in
                state.events.isEmpty ? (nil, state.isEnded) : (state.events.removeFirst(), false)
            }
            if let event { return event }
            if isEnded { return nil }
            guard clock.now < end else { throw EventStreamTimeout(deadline: deadline) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next event that is not a comment, `nil` once the stream has ended.
    public func nextEvent(within deadline: Duration = .seconds(60)) async throws -> ServerSentEvent? {
        let end = ContinuousClock.now + deadline
        while let event = try await next(within: end - .now) {
            if event.comment == nil { return event }
        }
        return nil
    }

    /// Whether the server ended the stream, waiting up to `deadline` for it, skipping events.
    public func ends(within deadline: Duration) async throws -> Bool {
        let end = ContinuousClock.now + deadline
        do {
            while try await next(within: end - .now) != nil {}
            return true
        } catch is EventStreamTimeout {
            return false
        }
    }

    fileprivate func received(_ bytes: some Collection<UInt8>) {
        state.withLock { state in
            state.pending.append(contentsOf: bytes)
            var start = 0
            var index = max(state.scanned - 1, 0)
            while index + 1 < state.pending.count {
                if state.pending[index] == 10, state.pending[index + 1] == 10 {
                    state.events.append(Self.parse(Substring(decoding: state.pending[start..<index], as: UTF8.self)))
                    start = index + 2
                    index = start
                } else {
                    index += 1
                }
            }
            state.pending.removeFirst(start)
            state.scanned = state.pending.count
        }
    }

    fileprivate func ended(_ error: (any Error)?) {
        state.withLock { state in
            state.isEnded = true
            state.failure = error.map { "\($0)" }
        }
    }

    private static func parse(_ block: Substring) -> ServerSentEvent {
        var event = ServerSentEvent()
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                event.comment = String(line.dropFirst().drop { $0 == " " })
                continue
            }
            let field = line.prefix { $0 != ":" }
            var value = line.dropFirst(field.count + 1)
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch field {
            case "id": event.id = String(value)
            case "event": event.name = String(value)
            case "data": event.data = (event.data.map { $0 + "\n" } ?? "") + value
            case "retry": event.retry = Int(value)
            default: break
            }
        }
        return event
    }
}

public struct EventStreamTimeout: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "no event arrived within \(deadline)" }
}
