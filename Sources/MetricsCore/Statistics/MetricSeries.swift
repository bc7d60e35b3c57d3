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
    @discardableResult
    public mutating func insert(timestamps newTimestamps: [Int64], values newValues: [Double]) -> Int {
        precondition(newTimestamps.count == newValues.count, "one value per timestamp")
        if timestamps.isEmpty, newTimestamps.isStrictlyAscending {
            // A first load: adopt the arrays as they are, and fold each window once at the next
            // advance, over that window's samples only.
            timestamps = newTimestamps
            values = newValues
            needsRebuild = true
            return newTimestamps.count
        }
        var added = 0
        for (timestamp, value) in zip(newTimestamps, newValues) {
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
                    for window in windows.indices { windows[window].append(value, previous: previous) }
                }
            }
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
            let reader = SeriesReader(values: values, firstIndex: firstIndex)
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
        windows.first { $0.window == window }?.statistics ?? .empty
    }

    /// The samples of `window` as of the last ``advance(to:)``, ascending.
    public func history(_ window: StatisticsWindow) -> SampleHistory {
        guard let state = windows.first(where: { $0.window == window }) else { return SampleHistory() }
        let lower = state.values.start - firstIndex
        let upper = state.values.end - firstIndex
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
    let firstIndex: Int

    func value(at index: Int) -> Double { values[index - firstIndex] }

    /// The log return that the sample at `index` completes.
    func logReturn(at index: Int) -> Double {
        LogReturn.between(values[index - 1 - firstIndex], values[index - firstIndex])
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

/// One window of a series: accumulators over its values and its log returns.
private struct WindowState: Sendable {
    let window: StatisticsWindow
    /// Over the values of `start ..< end`.
    var values = SlidingAccumulator()
    /// Over the log returns of `start + 1 ..< end` (each return belongs to its later sample).
    var returns = SlidingAccumulator()
    /// How many values in the window are zero or negative, which have no log return.
    var nonPositive = 0
    /// The timestamp below which samples left, as of the last advance.
    var cutoff = Int64.min
    var statistics = WindowStatistics.empty
    /// Whether `statistics` is behind the accumulators.
    var isStale = false

    init(window: StatisticsWindow) {
        self.window = window
    }

    mutating func append(_ value: Double, previous: Double?) {
        let wasEmpty = values.start == values.end
        values.append(value)
        if !wasEmpty, let previous {
            returns.append(LogReturn.between(previous, value))
        } else {
            returns = SlidingAccumulator(start: values.end, end: values.end) { _ in 0 }
        }
        if value <= 0 { nonPositive += 1 }
        isStale = true
    }

    mutating func advanceStart(to start: Int, reader: SeriesReader) {
        guard start > values.start else { return }
        for index in values.start..<start where reader.value(at: index) <= 0 { nonPositive -= 1 }
        values.advanceStart(to: start, element: reader.value(at:))
        returns.advanceStart(to: start + 1, element: reader.logReturn(at:))
        isStale = true
    }

    mutating func rebuild(start: Int, end: Int, reader: SeriesReader) {
        values = SlidingAccumulator(start: start, end: end, element: reader.value(at:))
        returns = SlidingAccumulator(start: min(start + 1, end), end: end, element: reader.logReturn(at:))
        nonPositive = 0
        for index in start..<end where reader.value(at: index) <= 0 { nonPositive += 1 }
        isStale = true
    }

    /// Recomputes `statistics` if anything moved; returns whether they changed.
    mutating func refresh(reader: SeriesReader) -> Bool {
        guard isStale else { return false }
        isStale = false
        let updated = WindowStatistics(
            values: values.statistics(element: reader.value(at:)),
            valueShift: values.shift,
            returns: returns.statistics(element: reader.logReturn(at:)),
            hasNonPositiveValue: nonPositive > 0
        )
        defer { statistics = updated }
        return updated != statistics
    }
}
