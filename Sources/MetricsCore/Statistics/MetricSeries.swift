/// One metric's recent samples, ascending by timestamp, with the statistics of every
/// ``StatisticsWindow`` kept ready as samples arrive and age out.
///
/// Holds the samples of the longest window, so that the history of any window is a slice of it.
/// Samples older than that are dropped in batches rather than one by one, so that removing the
/// oldest sample does not move every other.
public struct MetricSeries: Sendable {
    /// Timestamps in microseconds since 1970, ascending, unique. The first `dropped` are stale.
    private var timestamps: [Int64] = []
    private var values: [Double] = []
    /// Absolute index of `timestamps[0]`: indices count every sample this series ever held, so
    /// that accumulators survive the array being trimmed.
    private var firstIndex = 0
    private var windows: [WindowState]
    /// Set when samples arrived out of order or in bulk: the next advance folds every window afresh.
    private var needsRebuild = false

    /// Index of the first sample still within the longest window.
    private var retainedStart: Int { windows.last?.values.start ?? firstIndex }

    public init(windows: [StatisticsWindow] = StatisticsWindow.allCases) {
        self.windows = windows.sorted().map(WindowState.init)
    }

    /// How many samples the series holds for its longest window.
    public var count: Int { firstIndex + timestamps.count - retainedStart }

    /// Adds samples (in any order) and returns how many were new; a timestamp already held keeps
    /// its value, as in the store. Statistics are brought up to date by the next ``advance(to:)``.
    ///
    /// - Parameter taken: called with the offset (in the arrays given) of each sample that was
    ///   new, in the order given: the live stream sends exactly those.
    @discardableResult
    public mutating func insert(
        timestamps newTimestamps: [Int64], values newValues: [Double], taken: ((Int) -> Void)? = nil
    ) -> Int {
        precondition(newTimestamps.count == newValues.count, "one value per timestamp")
        if timestamps.isEmpty, newTimestamps.isStrictlyAscending {
            // A first load: adopt the arrays as they are, and fold each window once at the next
            // advance, over that window's samples only.
            timestamps = newTimestamps
            values = newValues
            needsRebuild = true
            if let taken { newTimestamps.indices.forEach(taken) }
            return newTimestamps.count
        }
        var added = 0
        for (offset, (timestamp, value)) in zip(newTimestamps, newValues).enumerated() {
            if let last = timestamps.last, timestamp <= last {
                // Late or repeated: rare (imports, backfills), so an O(n) insert is fine.
                let position = timestamps.partitionPoint { $0 >= timestamp }
                if position < timestamps.count, timestamps[position] == timestamp { continue }
                // Older than any window holds; read each time, as an append may have trimmed.
                if position < retainedStart - firstIndex { continue }
                timestamps.insert(timestamp, at: position)
                values.insert(value, at: position)
                needsRebuild = true
            } else {
                if timestamps.count == timestamps.capacity { makeRoom() }
                timestamps.append(timestamp)
                values.append(value)
                if !needsRebuild {
                    let previous = values.count >= 2 ? values[values.count - 2] : nil
                    for window in windows.indices { windows[window].append(value, at: timestamp, previous: previous) }
                }
            }
            taken?(offset)
            added += 1
        }
        return added
    }

    /// Moves every window to end at `now`, drops what no window holds any more, and recomputes the
    /// statistics of the windows that changed. Returns the windows whose statistics changed.
    @discardableResult
    public mutating func advance(to now: Timestamp) -> [StatisticsWindow] {
        var changed: [StatisticsWindow] = []
        do {
            let reader = SeriesReader(values: values, timestamps: timestamps, firstIndex: firstIndex)
            let end = firstIndex + timestamps.count
            for window in windows.indices {
                let cutoff = now.microsecondsSince1970 - windows[window].window.microseconds
                if needsRebuild || cutoff < windows[window].cutoff {
                    // Samples arrived out of order, or the clock went back: fold the window afresh.
                    let lower = timestamps.partitionPoint { $0 >= cutoff }
                    windows[window].rebuild(start: firstIndex + lower, end: end, reader: reader)
                } else {
                    var start = windows[window].values.start
                    while start < end, timestamps[start - firstIndex] < cutoff { start += 1 }
                    windows[window].advanceStart(to: start, reader: reader)
                }
                windows[window].cutoff = cutoff
                if windows[window].refresh(reader: reader) { changed.append(windows[window].window) }
            }
        }
        needsRebuild = false
        trim()
        return changed
    }

    public func statistics(_ window: StatisticsWindow) -> WindowStatistics {
        // A plain loop: `first(where:)` copies each window's state, retaining its arrays, and this
        // runs for every changed window of every metric at each cycle.
        for index in windows.indices where windows[index].window == window { return windows[index].statistics }
        return .empty
    }

    /// The samples of `window` as of the last ``advance(to:)``, ascending.
    public func history(_ window: StatisticsWindow) -> SampleHistory {
        guard let index = windows.indices.first(where: { windows[$0].window == window }) else { return SampleHistory() }
        let lower = windows[index].values.start - firstIndex
        let upper = windows[index].values.end - firstIndex
        return SampleHistory(timestamps: timestamps[lower..<upper], values: values[lower..<upper])
    }

    /// Drops samples no window holds once they are an eighth of the array, so that the cost is
    /// amortized over many samples.
    private mutating func trim() {
        let stale = retainedStart - firstIndex
        guard stale >= 64, stale * 8 >= timestamps.count else { return }
        dropStale(stale)
    }

    /// Before an append to a full array: drops stale samples if there are any, or grows the arrays
    /// by a quarter rather than the standard library's doubling, which at twenty thousand series
    /// would double the memory the statistics need.
    private mutating func makeRoom() {
        let stale = retainedStart - firstIndex
        if stale > 0 {
            dropStale(stale)
        } else {
            let capacity = timestamps.count + timestamps.count / 4 + 64
            timestamps.reserveCapacity(capacity)
            values.reserveCapacity(capacity)
        }
    }

    private mutating func dropStale(_ count: Int) {
        timestamps.removeFirst(count)
        values.removeFirst(count)
        firstIndex += count
    }
}

extension [Int64] {
    fileprivate var isStrictlyAscending: Bool {
        zip(self, dropFirst()).allSatisfy { $0 < $1 }
    }
}

/// Reads a series' values by absolute index, for the accumulators.
private struct SeriesReader {
    let values: [Double]
    let timestamps: [Int64]
    let firstIndex: Int

    func value(at index: Int) -> Double { values[index - firstIndex] }

    /// The values, as an accumulator reads them.
    var valueElements: ValueElements { ValueElements(reader: self) }
    /// The log return that each sample completes.
    var returnElements: ReturnElements { ReturnElements(reader: self) }

    struct ValueElements: AccumulatorElements {
        let reader: SeriesReader
        func element(at index: Int) -> Double { reader.values[index - reader.firstIndex] }
        func timestamp(at index: Int) -> Int64 { reader.timestamps[index - reader.firstIndex] }
    }

    struct ReturnElements: AccumulatorElements {
        let reader: SeriesReader
        func element(at index: Int) -> Double {
            LogReturn.between(reader.values[index - 1 - reader.firstIndex], reader.values[index - reader.firstIndex])
        }
        func timestamp(at index: Int) -> Int64 { reader.timestamps[index - reader.firstIndex] }
    }
}

/// A window's samples: two parallel slices, shared with the series until it changes.
public struct SampleHistory: Sendable {
    public let timestamps: ArraySlice<Int64>
    public let values: ArraySlice<Double>

    public init(timestamps: ArraySlice<Int64> = [], values: ArraySlice<Double> = []) {
        self.timestamps = timestamps
        self.values = values
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }

    public subscript(offset: Int) -> Sample {
        Sample(
            timestamp: Timestamp(microsecondsSince1970: timestamps[timestamps.startIndex + offset]),
            value: values[values.startIndex + offset]
        )
    }
}

/// One window of a series: accumulators over its values and its log returns, in blocks aligned on
/// absolute time (see ``AlignedAccumulator``).
private struct WindowState: Sendable {
    let window: StatisticsWindow
    /// Over the values of `start ..< end`.
    var values: AlignedAccumulator
    /// Over the log returns of `start + 1 ..< end` (each return belongs to its later sample).
    var returns: AlignedAccumulator
    /// How many values in the window are zero or negative, which have no log return.
    var nonPositive = 0
    /// The timestamp below which samples left, as of the last advance.
    var cutoff = Int64.min
    var statistics = WindowStatistics.empty
    /// Whether `statistics` is behind the accumulators.
    var isStale = false

    init(window: StatisticsWindow) {
        self.window = window
        values = AlignedAccumulator(span: Self.span(of: window))
        returns = AlignedAccumulator(span: Self.span(of: window))
    }

    /// A block costs memory for as long as it is in the window (twenty thousand metrics hold six
    /// accumulators each), and a refresh folds up to a 16th of a block sample by sample; these
    /// keep both small at the usual rates (a minute apart: a sub-block holds 1 sample of the hour's
    /// window, 3 of the day's, 10 of the week's).
    static func span(of window: StatisticsWindow) -> Int64 {
        switch window {
        case .oneHour: window.microseconds / 8
        case .oneDay: window.microseconds / 32
        case .sevenDays: window.microseconds / 64
        }
    }

    mutating func append(_ value: Double, at timestamp: Int64, previous: Double?) {
        let wasEmpty = values.start == values.end
        values.append(value, at: timestamp)
        if !wasEmpty, let previous {
            returns.append(LogReturn.between(previous, value), at: timestamp)
        } else {
            returns = AlignedAccumulator(span: returns.span, emptyAt: values.end)
        }
        if value <= 0 { nonPositive += 1 }
        isStale = true
    }

    mutating func advanceStart(to start: Int, reader: SeriesReader) {
        guard start > values.start else { return }
        for index in values.start..<start where reader.value(at: index) <= 0 { nonPositive -= 1 }
        values.advanceStart(to: start)
        returns.advanceStart(to: start + 1)
        isStale = true
    }

    mutating func rebuild(start: Int, end: Int, reader: SeriesReader) {
        values = AlignedAccumulator(span: values.span, start: start, end: end, elements: reader.valueElements)
        returns = AlignedAccumulator(span: returns.span, start: min(start + 1, end), end: end, elements: reader.returnElements)
        nonPositive = 0
        for index in start..<end where reader.value(at: index) <= 0 { nonPositive += 1 }
        isStale = true
    }

    /// Recomputes `statistics` if anything moved; returns whether they changed.
    mutating func refresh(reader: SeriesReader) -> Bool {
        guard isStale else { return false }
        isStale = false
        let (valueStatistics, valueShift) = values.statistics(reader.valueElements)
        let updated = WindowStatistics(
            values: valueStatistics,
            valueShift: valueShift,
            returns: returns.statistics(reader.returnElements).statistics,
            hasNonPositiveValue: nonPositive > 0
        )
        defer { statistics = updated }
        return updated != statistics
    }
}
