import Hummingbird
import MetricsCore
import Synchronization

/// A body rendered once, with its entity tag, answered as `200` or `304`: JSON, or the
/// dashboard's page and files.
struct RenderedBody: Sendable {
    let buffer: ByteBuffer
    let entityTag: String
    let contentType: String
    /// Sent with both answers, as RFC 9110 asks of a `304`.
    let headers: HTTPFields

    init(_ body: some JSONBodyWritable, capacity: Int = 256) {
        var json = JSONWriter(capacity: capacity)
        body.write(to: &json)
        self.init(bytes: json.buffer, contentType: JSONBody.contentType)
    }

    init(bytes: ByteBuffer, contentType: String, headers: HTTPFields = [:]) {
        buffer = bytes
        entityTag = EntityTag.of(bytes)
        self.contentType = contentType
        self.headers = headers
    }

    func response(to request: Request) -> Response {
        var headers = headers
        headers[.eTag] = entityTag
        if EntityTag.request(request, matches: entityTag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}

/// Rendered bodies of the statistics' current generation, so that a popular history is written
/// once per change rather than once per request. Bounded in bytes. Generations only grow, so when
/// a newer one arrives every entry is stale and all are dropped at once.
final class ResponseCache<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var entries: [Key: RenderedBody] = [:]
        var bytes = 0
    }

    let budget: Int
    private let state = Mutex(State())

    init(budget: Int) {
        self.budget = budget
    }

    /// The body kept for `key` at `generation`, if any.
    func cached(_ key: Key, generation: UInt64) -> RenderedBody? {
        state.withLock { state in state.generation == generation ? state.entries[key] : nil }
    }

    /// The body for `key` at `generation`, rendered by `render` when missing or stale.
    func body(for key: Key, generation: UInt64, render: () throws -> RenderedBody) rethrows -> RenderedBody {
        if let cached = cached(key, generation: generation) { return cached }
        let body = try render()
        let size = body.buffer.readableBytes
        guard size <= budget / 4 else { return body }
        state.withLock { state in
            if generation > state.generation {
                state.generation = generation
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            // A render for a generation already replaced is not kept.
            guard generation == state.generation, state.entries[key] == nil else { return }
            // Over budget: drop whichever entries come first, which is as good as any.
            while state.bytes + size > budget, let victim = state.entries.first {
                state.entries.removeValue(forKey: victim.key)
                state.bytes -= victim.value.buffer.readableBytes
            }
            state.entries[key] = body
            state.bytes += size
        }
        return body
    }
}

/// What a cached response answers: each route's parameters that shape its body.
enum ResponseKey: Hashable, Sendable {
    case metrics
    case metric(id: Int64, window: StatisticsWindow, maxPoints: Int?)
    case rankings(type: MetricType, window: StatisticsWindow, measure: VolatilityMeasure, limit: Int, offset: Int)
    case overview(window: StatisticsWindow)
    case page(OverviewTable.Query)
}
