import MetricsCore
import MetricsStore

/// When a failed delivery is tried again: exponential backoff with jitter, the first retry
/// within five seconds, a receiver's `Retry-After` honoured (no sooner than half the backoff), and
/// no retry after the event's day.
///
/// The n-th retry waits 5 s · 2^(n−1), at most an hour, times a random factor from ½ to 1, so that
/// the retries of many events that failed together (a receiver back from an outage) spread out
/// instead of arriving at once.
public struct DeliverySchedule: Sendable {
    public static let firstRetryMicroseconds: Int64 = 5_000_000
    public static let longestWaitMicroseconds: Int64 = 3_600_000_000

    /// How an attempt ended, as far as the schedule cares.
    public enum Answer: Sendable, Equatable {
        case success
        /// 410 Gone: the receiver asks never to be called again.
        case gone
        /// A failure worth another try (no answer, 408, 429, 5xx); `retryAfter` when the receiver
        /// said how long to wait.
        case failure(retryAfter: Duration?)
        /// An answer that another try would not change (a redirect, which is not followed, or a
        /// client error such as 400 or 404): the event is dead, and can be sent again by hand.
        case rejected
    }

    public init() {}

    /// The outcome of the `attempt`-th attempt (1 for the first), made at `now`.
    public func outcome(
        of answer: Answer, attempt: Int, at now: Timestamp, retryUntil: Timestamp,
        random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) -> DeliveryAttempt.Outcome {
        switch answer {
        case .success: return .delivered
        case .gone: return .gone
        case .rejected: return .dead
        case .failure(let retryAfter):
            let doublings = Int64(min(max(attempt - 1, 0), 20))
            let backoff = min(Self.firstRetryMicroseconds << doublings, Self.longestWaitMicroseconds)
            let wait: Int64
            if let retryAfter {
                // What the receiver asks, but never less than half the backoff: a `Retry-After: 0`
                // from a struggling receiver must not turn into a retry every few milliseconds.
                wait = max(retryAfter.microseconds, backoff / 2)
            } else {
                wait = Int64((Double(backoff) * random(0.5...1)).rounded())
            }
            let next = now.adding(microseconds: wait)
            if next <= retryUntil { return .retry(at: next) }
            // A wait past the end of the day of retries: one last try as it ends.
            return now < retryUntil ? .retry(at: retryUntil) : .dead
        }
    }
}
