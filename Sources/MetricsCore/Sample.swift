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

/// Where a stored sample came from: which upstream served it and how, so that a chart can be
/// traced back to its source and backfilled points told from polled ones.
public struct SampleOrigin: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A quote polled from the upstream.
        case poll
        /// A candle's close, laid down to fill history the poller did not see.
        case backfill
        /// A row of a history CSV (`cryptometrics import`); `upstream` is `import`.
        case `import`
    }

    /// The upstream's configuration name (`kraken`), or `import`.
    public let upstream: String
    public let kind: Kind

    public init(upstream: String, kind: Kind) {
        self.upstream = upstream
        self.kind = kind
    }

    public static func polled(from upstream: String) -> SampleOrigin { SampleOrigin(upstream: upstream, kind: .poll) }
    public static func backfilled(from upstream: String) -> SampleOrigin { SampleOrigin(upstream: upstream, kind: .backfill) }
    public static let imported = SampleOrigin(upstream: "import", kind: .import)

    public var description: String { kind == .poll ? upstream : "\(upstream) (\(kind.rawValue))" }
}

/// A value to store with where it came from.
public struct SampleValue: Hashable, Sendable {
    public let value: Double
    public let origin: SampleOrigin

    public init(_ value: Double, from origin: SampleOrigin) {
        self.value = value
        self.origin = origin
    }
}
