/// How often, and how far apart, a failed request is tried again within its cycle.
///
/// Exponential backoff with full jitter: the wait before retry *n* is drawn uniformly from zero to
/// `base × 2ⁿ⁻¹` (capped), so that many pollers that failed together do not retry together.
/// Only failures that may pass are retried: timeouts, broken connections, 5xx, 408 and 429.
public struct RetryPolicy: Hashable, Sendable {
    /// Retries after the first attempt.
    public var maximumRetries: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration

    public init(maximumRetries: Int = 2, baseDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5)) {
        self.maximumRetries = maximumRetries
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// No retries, for tests that count requests.
    public static let never = RetryPolicy(maximumRetries: 0)

    /// The longest wait before retry `attempt` (1-based), before jitter.
    public func ceiling(forRetry attempt: Int) -> Duration {
        let doubled = baseDelay * (1 << min(max(attempt - 1, 0), 20))
        return min(doubled, maximumDelay)
    }

    /// The wait before retry `attempt`, drawn with full jitter from `generator`.
    public func delay(forRetry attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(forRetry: attempt)
        let nanoseconds = ceiling.nanoseconds
        return .nanoseconds(nanoseconds > 0 ? Int64.random(in: 0...nanoseconds, using: &generator) : 0)
    }

    /// Whether a failure is worth another attempt: the upstream may answer next time.
    public static func isRetryable(_ error: UpstreamError) -> Bool {
        switch error {
        case .timedOut, .unreachable, .rateLimited: true
        case .httpStatus(let status, _): status == 408 || (500..<600).contains(status)
        default: false
        }
    }
}

/// The instant by which the current poll cycle's requests must be done: set by the poller around
/// a cycle, read by the HTTP client to size its timeouts and decide whether a retry still fits.
public enum RequestDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?
}
