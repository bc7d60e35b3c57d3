import MetricsCore
import Synchronization

/// A wall clock that stands still until a test moves it, for code that stamps samples with "now".
public final class ManualClock: Sendable {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp) {
        current = Mutex(start)
    }

    public var now: Timestamp { current.withLock { $0 } }

    public func advance(seconds: Double) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }
}
