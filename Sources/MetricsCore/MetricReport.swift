/// What the store returns for one metric over one window: its samples, and the standard
/// deviation of every metric of the same type over the same window, read from one snapshot so
/// that the rank agrees with the history.
public struct MetricWindow: Sendable {
    public let metric: Metric
    public let range: TimeRange
    /// Ascending by timestamp.
    public let samples: [Sample]
    /// Metric id → sample standard deviation, for every metric of `metric.type` with at least two
    /// samples in `range` (this one included when it has two).
    public let peerDeviations: [Int64: Double]

    public init(metric: Metric, range: TimeRange, samples: [Sample], peerDeviations: [Int64: Double]) {
        self.metric = metric
        self.range = range
        self.samples = samples
        self.peerDeviations = peerDeviations
    }
}

/// The statistics the API serves for one metric over one window.
public struct MetricReport: Sendable {
    public let metric: Metric
    public let range: TimeRange
    public let history: [Sample]
    /// Sample standard deviation (n − 1) of `history`; `nil` with fewer than two samples.
    public let standardDeviation: Double?
    /// Position among metrics of the same type by standard deviation; `nil` without one.
    public let rank: Rank?

    public init(_ window: MetricWindow) {
        metric = window.metric
        range = window.range
        history = window.samples
        let statistics = RunningStatistics(window.samples.lazy.map(\.value))
        standardDeviation = statistics.sampleStandardDeviation
        var deviations = window.peerDeviations
        deviations[window.metric.id] = standardDeviation
        rank = Rank.of(window.metric.id, among: deviations)
    }
}
