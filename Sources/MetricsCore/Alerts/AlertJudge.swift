/// One metric's new samples, with what the alert conditions on it need from the history before
/// them: copied out of the statistics book (``StatisticsBook/alertInput(of:after:seeding:references:)``)
/// so that judging runs without holding the book.
public struct AlertInput: Sendable {
    public let metricID: Int64
    /// The new samples, ascending.
    public var timestamps: [Int64]
    public var values: [Double]
    /// For each deviation window the judge does not hold yet: the samples in
    /// `[first − window, first)`, ascending, where `first` is the first new sample's time.
    public var seeds: [StatisticsWindow: (timestamps: [Int64], values: [Double])]
    /// For each change window: per new sample at time t, the oldest value in `[t − window, t)`.
    public var references: [StatisticsWindow: [Double?]]

    public init(
        metricID: Int64, timestamps: [Int64], values: [Double],
        seeds: [StatisticsWindow: (timestamps: [Int64], values: [Double])] = [:], references: [StatisticsWindow: [Double?]] = [:]
    ) {
        precondition(timestamps.count == values.count, "one value per timestamp")
        self.metricID = metricID
        self.timestamps = timestamps
        self.values = values
        self.seeds = seeds
        self.references = references
    }
}

/// Judges new samples by alert conditions, keeping the trailing windows the deviation rule reads.
///
/// One ``DeviationWindow`` per metric and window length serves every subscription that reads it:
/// a thousand subscriptions on one market cost one window. A window is built from its seed the
/// first time a condition needs it, then follows the samples judged.
public struct AlertJudge: Sendable {
    /// The deviation windows of one metric, one per length its conditions read.
    private struct MetricWindows: Sendable {
        var lengths: [StatisticsWindow] = []
        var windows: [DeviationWindow] = []

        func index(of length: StatisticsWindow) -> Int? { lengths.firstIndex(of: length) }
    }

    private var windows: [Int64: MetricWindows] = [:]

    public init() {}

    /// The deviation windows among `conditions` that the judge does not hold for `metric`: an
    /// ``AlertInput`` for it must carry their seeds.
    public func unseeded(_ metric: Int64, for conditions: some Sequence<AlertCondition>) -> Set<StatisticsWindow> {
        var missing: Set<StatisticsWindow> = []
        let held = windows[metric]
        for case .deviation(_, let window, _) in conditions where held?.index(of: window) == nil {
            missing.insert(window)
        }
        return missing
    }

    /// The windows whose reference values ``judge(_:by:)`` needs for `conditions`.
    public static func referenceWindows(for conditions: some Sequence<AlertCondition>) -> Set<StatisticsWindow> {
        var windows: Set<StatisticsWindow> = []
        for case .change(let window, _, _) in conditions { windows.insert(window) }
        return windows
    }

    /// Judges each new sample of `input`, in order, by each of `conditions`: the verdicts come back
    /// per condition, in sample order. `conditions` are every condition that reads this metric, so
    /// that each window it holds sees every sample.
    public mutating func judge(_ input: AlertInput, by conditions: [AlertCondition]) -> [[AlertJudgement]] {
        // Taken out of the dictionary while judging, so that it is mutated in place: a window
        // also referenced from the dictionary would be copied whole at its next change.
        var held = windows.removeValue(forKey: input.metricID) ?? MetricWindows()
        defer { windows[input.metricID] = held }
        // Which window each condition reads, by index into `held`.
        var windowIndex = [Int](repeating: -1, count: conditions.count)
        for (offset, condition) in conditions.enumerated() {
            guard case .deviation(_, let window, _) = condition else { continue }
            if let index = held.index(of: window) {
                windowIndex[offset] = index
                continue
            }
            var built = DeviationWindow(length: window.microseconds)
            if let seed = input.seeds[window] {
                for (timestamp, value) in zip(seed.timestamps, seed.values) { built.append(value, at: timestamp) }
            }
            held.lengths.append(window)
            held.windows.append(built)
            windowIndex[offset] = held.windows.count - 1
        }
        var verdicts = [[AlertJudgement]](repeating: [], count: conditions.count)
        for (offset, (timestamp, value)) in zip(input.timestamps, input.values).enumerated() {
            for index in held.windows.indices { held.windows[index].slide(to: timestamp) }
            for (index, condition) in conditions.enumerated() {
                switch condition {
                case .deviation:
                    // Read in place: passing the window itself would retain its arrays, and the
                    // append below would then copy them whole.
                    let window = windowIndex[index]
                    verdicts[index].append(
                        condition.judge(
                            value, samples: held.windows[window].count, meanAndDeviation: held.windows[window].meanAndDeviation))
                case .change(let window, _, _):
                    let reference = input.references[window].flatMap { offset < $0.count ? $0[offset] : nil }
                    verdicts[index].append(condition.judge(value, reference: reference))
                case .threshold:
                    verdicts[index].append(condition.judge(value))
                }
            }
            for index in held.windows.indices { held.windows[index].append(value, at: timestamp) }
        }
        return verdicts
    }

    /// Drops the windows of `metric` that none of `conditions` reads any more (paused, deleted or
    /// changed subscriptions); with no conditions, every window of the metric.
    public mutating func release(_ metric: Int64, keepingFor conditions: some Sequence<AlertCondition>) {
        guard var held = windows.removeValue(forKey: metric) else { return }
        var kept: Set<StatisticsWindow> = []
        for case .deviation(_, let window, _) in conditions { kept.insert(window) }
        for index in held.lengths.indices.reversed() where !kept.contains(held.lengths[index]) {
            held.lengths.remove(at: index)
            held.windows.remove(at: index)
        }
        if !held.lengths.isEmpty { windows[metric] = held }
    }

    /// How many deviation windows are held, over every metric.
    public var windowCount: Int { windows.values.reduce(0) { $0 + $1.windows.count } }
}

extension StatisticsBook {
    /// What judging metric `id`'s samples after `time` needs: those samples, the seeds of the
    /// deviation windows in `seeding` and the reference values of the change windows in
    /// `references`. `nil` when the book has no sample after `time`.
    public func alertInput(
        of id: Int64, after time: Int64, seeding: Set<StatisticsWindow>, references: Set<StatisticsWindow>
    ) -> AlertInput? {
        guard let held = heldSamples(of: id), let last = held.timestamps.last, last > time else { return nil }
        let timestamps = held.timestamps
        let values = held.values
        let start = timestamps.partitionPoint { $0 > time }
        let newTimestamps = Array(timestamps[start...])
        var input = AlertInput(metricID: id, timestamps: newTimestamps, values: Array(values[start...]))
        let first = newTimestamps[0]
        for window in seeding {
            let lower = timestamps.partitionPoint { $0 >= first - window.microseconds }
            input.seeds[window] = (Array(timestamps[lower..<start]), Array(values[lower..<start]))
        }
        for window in references {
            input.references[window] = newTimestamps.map { timestamp in
                let lower = timestamps.partitionPoint { $0 >= timestamp - window.microseconds }
                return timestamps[lower] < timestamp ? values[lower] : nil
            }
        }
        return input
    }

    /// The newest sample's timestamp held for metric `id`.
    public func newestTimestamp(of id: Int64) -> Int64? {
        heldSamples(of: id)?.timestamps.last
    }
}
