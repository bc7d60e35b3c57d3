/// The samples of a trailing time window, with their count, mean and mean absolute deviation
/// ready for the deviation rule: D = (1/|W|) Σ_{x∈W} |x − m|.
///
/// Samples join at the end and leave from the start in time order; the values are also kept in an
/// ``OrderedSums``, so that a new sample is judged in O(log n) however many the window holds.
public struct DeviationWindow: Sendable {
    /// The window's length in microseconds.
    public let length: Int64
    private var timestamps: [Int64] = []
    private var values: [Double] = []
    /// Index of the oldest sample still in the window; the ones before it are dropped in batches.
    private var head = 0
    private var ordered = OrderedSums()

    public init(length: Int64) {
        self.length = length
    }

    /// How many samples the window holds.
    public var count: Int { values.count - head }

    /// The timestamp of the newest sample held, if any.
    public var newest: Int64? { timestamps.last.flatMap { count > 0 ? $0 : nil } }

    /// Moves the window to cover `[now − length, now)`: drops every sample older than that.
    public mutating func slide(to now: Int64) {
        let start = now - length
        var departed = false
        while head < timestamps.count, timestamps[head] < start {
            departed = true
            ordered.remove(values[head])
            head += 1
        }
        if head >= 64, head * 2 >= timestamps.count {
            timestamps.removeFirst(head)
            values.removeFirst(head)
            head = 0
        }
        // Only a departure can leave the shift stranded far from the values.
        if departed { keepShiftNearTheValues() }
    }

    /// The sums are taken relative to a shift, the first value held; when the values have moved
    /// far from it (many times their spread), they are summed afresh relative to their mean, so
    /// that an outlier that set the shift and left does not cost the rest their digits. Rare: the
    /// values must drift sixteen spreads before it happens again.
    private mutating func keepShiftNearTheValues() {
        guard let shift = ordered.shift, let (mean, deviation) = meanAndDeviation else { return }
        if abs(shift - mean) > 16 * deviation + mean.ulp * 1_024 {
            ordered.reshift(to: mean)
        }
    }

    /// Adds a sample later than every sample held (an earlier one is ignored: the window follows
    /// the feed, which delivers each metric's samples in order). Values are finite (the store
    /// refuses others); a NaN would break the order the sums rely on, so it is ignored too.
    public mutating func append(_ value: Double, at timestamp: Int64) {
        guard value.isFinite else { return }
        if let newest, timestamp <= newest { return }
        timestamps.append(timestamp)
        values.append(value)
        ordered.insert(value)
    }

    /// The mean and the mean absolute deviation of the samples held; `nil` when empty.
    public var meanAndDeviation: (mean: Double, deviation: Double)? {
        let count = ordered.count
        guard count > 0, let shift = ordered.shift else { return nil }
        let total = ordered.shiftedSum
        let mean = total / Double(count)
        // Σ|x − m| split at m: the values below it add m − x each, the rest x − m.
        let (belowCount, belowSum) = ordered.below(shift + mean)
        let aboveCount = count - belowCount
        let aboveSum = total - belowSum
        let absolute = (mean * Double(belowCount) - belowSum) + (aboveSum - mean * Double(aboveCount))
        return (shift + mean, max(0, absolute) / Double(count))
    }
}
