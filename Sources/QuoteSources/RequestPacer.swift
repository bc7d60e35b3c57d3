import Synchronization

/// Keeps one upstream's requests inside its documented rate limit, and holds them all back while
/// the upstream has asked for a pause (`Retry-After`).
///
/// The generic cell rate algorithm: each request reserves the next free slot on a schedule that
/// advances by the limit's spacing, allowing a burst of up to the limit's count when the upstream
/// has been idle. A slot is reserved before the wait, so concurrent requests queue in order
/// without a lock held across the sleep.
public final class RequestPacer: Sendable {
    public let limit: RateLimit
    private let theoreticalArrival = Mutex<ContinuousClock.Instant?>(nil)

    public init(limit: RateLimit) {
        self.limit = limit
    }

    /// How far the schedule may run ahead of now: the burst the limit allows.
    private var tolerance: Duration { limit.period - limit.spacing }

    /// Reserves the next slot and returns when it is, or `nil` without reserving when that would
    /// be later than `deadline`: a request that could only go out after its cycle ends is not sent.
    public func reserve(now: ContinuousClock.Instant, notAfter deadline: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        theoreticalArrival.withLock { arrival in
            let scheduled = max(arrival ?? now, now)
            let allowed = max(now, scheduled - tolerance)
            guard allowed <= deadline else { return nil }
            arrival = scheduled + limit.spacing
            return allowed
        }
    }

    /// Holds every request back until `instant`, as a 429's `Retry-After` asks.
    public func pause(until instant: ContinuousClock.Instant) {
        theoreticalArrival.withLock { arrival in
            let resume = instant + tolerance
            arrival = max(arrival ?? resume, resume)
        }
    }

    /// The earliest a request could go out now, for a caller deciding whether to try at all.
    public func nextSlot(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        theoreticalArrival.withLock { arrival in max(now, (arrival ?? now) - tolerance) }
    }
}
