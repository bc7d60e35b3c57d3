/// One upstream's circuit breaker: after repeated failures the upstream is left alone for a while,
/// so that its tickers go straight to their fallbacks instead of spending each cycle's budget on
/// timeouts; then one batch probes it, and a success closes the circuit.
///
/// A failure here is a batch the upstream could not serve at all (it timed out, refused, answered
/// 5xx, 429 or garbage for every ticker asked). A batch with any quote in it is a success: an
/// unknown pair or a bad value is the market's problem, not the upstream's. Each failed probe
/// doubles the pause, up to ``Configuration/maximumOpenDuration``.
public struct CircuitBreaker: Hashable, Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Consecutive failed batches that open the circuit.
        public var failureThreshold: Int
        /// The first pause after opening.
        public var openDuration: Duration
        public var maximumOpenDuration: Duration

        public init(failureThreshold: Int = 3, openDuration: Duration = .seconds(30), maximumOpenDuration: Duration = .seconds(300)) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
            self.maximumOpenDuration = maximumOpenDuration
        }
    }

    public enum State: String, Hashable, Sendable {
        /// Asked every cycle.
        case closed
        /// Skipped until its probe is due.
        case open
        /// The next batch is the probe.
        case halfOpen = "half_open"
    }

    public let configuration: Configuration
    public private(set) var state = State.closed
    public private(set) var consecutiveFailures = 0
    /// When an open circuit lets its probe through.
    public private(set) var probeAt: ContinuousClock.Instant?
    private var pause: Duration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.pause = configuration.openDuration
    }

    /// Whether to ask the upstream now. An open circuit whose pause is over turns half-open and
    /// lets this one batch through as its probe.
    public mutating func allowsRequest(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed, .halfOpen:
            return true
        case .open:
            guard let probeAt, now >= probeAt else { return false }
            state = .halfOpen
            return true
        }
    }

    public mutating func recordSuccess() {
        state = .closed
        consecutiveFailures = 0
        probeAt = nil
        pause = configuration.openDuration
    }

    public mutating func recordFailure(now: ContinuousClock.Instant) {
        consecutiveFailures += 1
        switch state {
        case .halfOpen:
            pause = min(pause * 2, configuration.maximumOpenDuration)
            open(now: now)
        case .closed where consecutiveFailures >= configuration.failureThreshold:
            open(now: now)
        case .closed, .open:
            break
        }
    }

    private mutating func open(now: ContinuousClock.Instant) {
        state = .open
        probeAt = now + pause
    }
}
