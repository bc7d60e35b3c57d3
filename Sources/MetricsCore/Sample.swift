/// One stored value of a metric.
public struct Sample: Hashable, Sendable {
    /// The largest value accepted from an upstream or a CSV file. No price or 24-hour volume comes
    /// near it, and below it the statistics of millions of samples cannot overflow to infinity.
    public static let largestValue: Double = 1e18

    public let timestamp: Timestamp
    public let value: Double

    public init(timestamp: Timestamp, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// A closed time range `from ... through`, both ends included, as the API's windows are.
public struct TimeRange: Hashable, Sendable, CustomStringConvertible {
    public let from: Timestamp
    public let through: Timestamp

    public init(from: Timestamp, through: Timestamp) {
        precondition(from <= through, "a time range must not end before it starts")
        self.from = from
        self.through = through
    }

    /// The `seconds` up to and including `end`: the original's "last 24 hours" is
    /// `TimeRange(last: 86_400, endingAt: now)`.
    public init(last seconds: Double, endingAt end: Timestamp) {
        self.init(from: end.adding(seconds: -seconds), through: end)
    }

    public func contains(_ timestamp: Timestamp) -> Bool {
        from <= timestamp && timestamp <= through
    }

    public var description: String { "\(from.rfc3339) ... \(through.rfc3339)" }
}
