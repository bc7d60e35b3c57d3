import Hummingbird
import Synchronization

/// A JSON body rendered once, with its entity tag, answered as `200` or `304`.
struct RenderedBody: Sendable {
    let buffer: ByteBuffer
    let entityTag: String

    init(_ body: some JSONBodyWritable, capacity: Int = 256) {
        var json = JSONWriter(capacity: capacity)
        body.write(to: &json)
        buffer = json.buffer
        entityTag = EntityTag.of(buffer)
    }

    func response(to request: Request) -> Response {
        if EntityTag.request(request, matches: entityTag) {
            return Response(status: .notModified, headers: [.eTag: entityTag])
        }
        return Response(
            status: .ok,
            headers: [.contentType: JSONBody.contentType, .eTag: entityTag],
            body: .init(byteBuffer: buffer)
        )
    }
}

/// Rendered bodies of the statistics' current generation, so that a popular history is written
/// once per change rather than once per request. Bounded in bytes; an entry from an older
/// generation is never served.
final class ResponseCache<Key: Hashable & Sendable>: Sendable {
    private struct Entry {
        let generation: UInt64
        let body: RenderedBody
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
    }

    let budget: Int
    private let state = Mutex(State())

    init(budget: Int) {
        self.budget = budget
    }

    /// The body for `key` at `generation`, rendered by `render` when missing or stale.
    func body(for key: Key, generation: UInt64, render: () throws -> RenderedBody) rethrows -> RenderedBody {
        if let cached = state.withLock({ $0.entries[key] }), cached.generation == generation { return cached.body }
        let body = try render()
        let size = body.buffer.readableBytes
        guard size <= budget / 4 else { return body }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.body.buffer.readableBytes }
            if state.bytes + size > budget {
                // Stale generations first; then whatever comes first, which is as good as any.
                let stale = state.entries.filter { $0.value.generation != generation }.map(\.key)
                for key in stale { state.bytes -= state.entries.removeValue(forKey: key)!.body.buffer.readableBytes }
                while state.bytes + size > budget, let victim = state.entries.first {
                    state.entries.removeValue(forKey: victim.key)
                    state.bytes -= victim.value.body.buffer.readableBytes
                }
            }
            state.entries[key] = Entry(generation: generation, body: body)
            state.bytes += size
        }
        return body
    }
}
