/// Count, mean and spread of a series of values, updated one value at a time.
///
/// Uses Welford's update, which stays accurate where the textbook sum-of-squares formula cancels
/// catastrophically (a price near 100,000 moving by 0.001). Merging two accumulators uses Chan
/// et al.'s pairwise formula, so partial results combine as one pass over every value would,
/// up to rounding.
public struct RunningStatistics: Hashable, Sendable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    /// Sum of squared deviations from the mean.
    private var squaredDeviations: Double = 0

    public init() {}

    public init(_ values: some Sequence<Double>) {
        for value in values { add(value) }
    }

    public mutating func add(_ value: Double) {
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squaredDeviations += delta * (value - mean)
    }

    public mutating func merge(_ other: RunningStatistics) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let total = Double(count + other.count)
        let delta = other.mean - mean
        mean += delta * Double(other.count) / total
        squaredDeviations += other.squaredDeviations + delta * delta * Double(count) * Double(other.count) / total
        count += other.count
    }

    /// The same statistics of the values moved by `delta`: the spread does not change, the mean
    /// does. For merging accumulators kept relative to different shifts.
    func movingMean(by delta: Double) -> RunningStatistics {
        guard count > 0 else { return self }
        var moved = self
        moved.mean += delta
        return moved
    }

    /// The sample variance (divides by n − 1); `nil` with fewer than two values.
    public var sampleVariance: Double? {
        guard count >= 2 else { return nil }
        return max(0, squaredDeviations / Double(count - 1))
    }

    /// The sample standard deviation (n − 1), as the original API served it; `nil` with fewer
    /// than two values, where the original crashed.
    public var sampleStandardDeviation: Double? {
        sampleVariance.map { $0.squareRoot() }
    }
}
