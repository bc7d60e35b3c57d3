import MetricsCore

/// One upstream's circuit breaker: after repeated failures the upstream is left alone for a while,
/// so that its tickers go straight to their fallbacks instead of spending each cycle's budget on
/// timeouts; then one batch probes it, and a success closes the circuit.
///
/// A failure here is a batch the upstream could not serve at all (it timed out, refused, answered
/// 5xx, 429 or garbage for every ticker asked). A batch with any quote in it is a success: an
/// unknown pair or a bad value is the market's problem, not the upstream's. Each failed probe
/// doubles the pause, up to ``Configuration/maximumOpenDuration``.
///
/// Its time is the poller's clock, the one that stamps samples (the wall clock in production, a
/// manual one in tests): a pause of 30 s is 30 s of cycles, whatever the machine's speed. A step of
/// the wall clock moves a probe by as much, which a breaker measured in tens of seconds tolerates.
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
    public private(set) var probeAt: Timestamp?
    private var pause: Duration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.pause = configuration.openDuration
    }

    /// Whether to ask the upstream now. An open circuit whose pause is over turns half-open and
    /// lets this one batch through as its probe.
    public mutating func allowsRequest(now: Timestamp) -> Bool {
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

    public mutating func recordFailure(now: Timestamp) {
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

    private mutating func open(now: Timestamp) {
        state = .open
        probeAt = now.adding(seconds: pause.seconds)
    }
}
