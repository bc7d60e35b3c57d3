import Synchronization

/// Keeps one upstream's requests inside its documented rate limit, and holds them all back while
/// the upstream has asked for a pause (`Retry-After`).
///
/// A sliding log of the last requests' slots: a request may go when fewer than the limit's count
/// went in the period before it, which is exactly what "N requests per period" promises (a token
/// bucket would allow up to twice that across a bucket's refill). A slot is reserved before the
/// wait, so concurrent requests queue in order without a lock held across the sleep.
public final class RequestPacer: Sendable {
    public let limit: RateLimit
    private let state: Mutex<State>

    /// The last `capacity` slots, oldest first, in a ring.
    private struct State {
        var slots: [ContinuousClock.Instant]
        var oldest = 0
        var pausedUntil: ContinuousClock.Instant?
    }

    /// Slots remembered at most: a limit of more requests per period is kept as the same rate
    /// over a shorter period, which is stricter, never looser.
    private static let maximumLog = 256
    private let capacity: Int
    private let window: Duration

    public init(limit: RateLimit) {
        self.limit = limit
        capacity = min(limit.requests, Self.maximumLog)
        window = limit.period * capacity / limit.requests
        state = Mutex(State(slots: []))
    }

    /// Reserves the next slot and returns when it is, or `nil` without reserving when that would
    /// be later than `deadline`: a request that could only go out after its cycle ends is not sent.
    public func reserve(now: ContinuousClock.Instant, notAfter deadline: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLock { state in
            let slot = Self.nextSlot(state, now: now, capacity: capacity, window: window)
            guard slot <= deadline else { return nil }
            if state.slots.count < capacity {
                state.slots.append(slot)
            } else {
                state.slots[state.oldest] = slot
                state.oldest = (state.oldest + 1) % capacity
            }
            return slot
        }
    }

    /// Holds every request back until `instant`, as a 429's `Retry-After` asks.
    public func pause(until instant: ContinuousClock.Instant) {
        state.withLock { state in state.pausedUntil = max(state.pausedUntil ?? instant, instant) }
    }

    /// When a pause in force at `now` ends, if one is.
    public func pausedUntil(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLock { state in state.pausedUntil.flatMap { $0 > now ? $0 : nil } }
    }

    private static func nextSlot(_ state: State, now: ContinuousClock.Instant, capacity: Int, window: Duration) -> ContinuousClock.Instant {
        var slot = max(now, state.pausedUntil ?? now)
        if let newest = state.slots.isEmpty ? nil : state.slots[(state.oldest + state.slots.count - 1) % state.slots.count] {
            slot = max(slot, newest)
        }
        if state.slots.count == capacity {
            slot = max(slot, state.slots[state.oldest] + window)
        }
        return slot
    }
}
