import MetricsCore
import Synchronization

/// A store that keeps everything in this process's memory, so that tests of the API and the
/// poller need no database file. Nothing survives the process.
///
/// It keeps every promise of ``MetricStore`` that does not concern a disk: ids in creation order,
/// the first value at an instant kept, imports all or nothing, and a change feed that hands each
/// write to its reader once and starts a reader over when it falls behind the feed's retention.
/// The conformance suite runs the same cases against it and against each database.
public final class InMemoryMetricStore: MetricStore {
    /// How many writes the change feed keeps, as SQLite's does.
    public static let retainedBatches = 10_000

    private struct Series {
        var timestamps: [Int64] = []
        var values: [Double] = []

        /// Adds a sample unless one is stored at `timestamp`; returns whether it did. Where samples
        /// came from is not kept: no reader of this store asks.
        mutating func insert(_ timestamp: Int64, _ value: Double) -> Bool {
            if let last = timestamps.last, last < timestamp {
                timestamps.append(timestamp)
                values.append(value)
                return true
            }
            let index = lowerBound(timestamp)
            guard index == timestamps.count || timestamps[index] != timestamp else { return false }
            timestamps.insert(timestamp, at: index)
            values.insert(value, at: index)
            return true
        }

        /// Adds `new`, sorted by timestamp, in one pass: a timestamp already stored keeps its value,
        /// and of equal timestamps in `new` the first wins. Returns the timestamps added.
        mutating func merge(_ new: [(timestamp: Int64, value: Double)]) -> [Int64] {
            var mergedTimestamps: [Int64] = []
            var mergedValues: [Double] = []
            mergedTimestamps.reserveCapacity(timestamps.count + new.count)
            mergedValues.reserveCapacity(timestamps.count + new.count)
            var added: [Int64] = []
            var old = 0
            var next = 0
            while old < timestamps.count || next < new.count {
                if next == new.count || (old < timestamps.count && timestamps[old] <= new[next].timestamp) {
                    mergedTimestamps.append(timestamps[old])
                    mergedValues.append(values[old])
                    old += 1
                } else {
                    let (timestamp, value) = new[next]
                    if mergedTimestamps.last != timestamp {
                        mergedTimestamps.append(timestamp)
                        mergedValues.append(value)
                        added.append(timestamp)
                    }
                    next += 1
                }
            }
            timestamps = mergedTimestamps
            values = mergedValues
            return added
        }

        /// The first index whose timestamp is not before `timestamp`.
        func lowerBound(_ timestamp: Int64) -> Int {
            var low = 0
            var high = timestamps.count
            while low < high {
                let middle = (low + high) / 2
                if timestamps[middle] < timestamp { low = middle + 1 } else { high = middle }
            }
            return low
        }

        /// The samples from `from` through `through`, both included, at most `limit` of them.
        func slice(from: Int64, through: Int64, limit: Int = .max) -> (timestamps: [Int64], values: [Double]) {
            let start = lowerBound(from)
            var end = start
            while end < timestamps.count, timestamps[end] <= through, end - start < limit { end += 1 }
            return (Array(timestamps[start..<end]), Array(values[start..<end]))
        }
    }

    /// One write of the change feed: which instants it covered.
    private struct Batch {
        let id: Int64
        let first: Int64
        let last: Int64
    }

    private struct State {
        var metrics: [Metric] = []
        var ids: [MetricKey: Int64] = [:]
        var series: [Int64: Series] = [:]
        var batches: [Batch] = []
        var lastBatch: Int64 = 0

        mutating func id(for key: MetricKey) -> (id: Int64, created: Bool) {
            if let id = ids[key] { return (id, false) }
            let id = Int64(metrics.count + 1)
            metrics.append(Metric(id: id, key: key))
            ids[key] = id
            return (id, true)
        }

        mutating func appendBatch(first: Int64, last: Int64, count: Int) {
            guard count > 0 else { return }
            lastBatch += 1
            batches.append(Batch(id: lastBatch, first: first, last: last))
            if batches.count > InMemoryMetricStore.retainedBatches + 100 {
                batches.removeFirst(batches.count - InMemoryMetricStore.retainedBatches)
            }
        }

        func allSeries(from: Int64, through: Int64) -> [SampleColumns] {
            metrics.compactMap { metric in
                guard let slice = series[metric.id]?.slice(from: from, through: through), !slice.timestamps.isEmpty else { return nil }
                return SampleColumns(metricID: metric.id, timestamps: slice.timestamps, values: slice.values)
            }
        }
    }

    private let state = Mutex(State())
    /// API keys, apart from the samples: nothing reads both at once.
    let keyTable = Mutex(KeyTable())
    let subscriptionTable = Mutex(SubscriptionTable())

    public init() {}

    public func metrics() async throws -> [Metric] {
        state.withLock { $0.metrics }
    }

    public func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric] {
        state.withLock { state in
            keys.reduce(into: [:]) { result, key in result[key] = Metric(id: state.id(for: key).id, key: key) }
        }
    }

    @discardableResult
    public func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int {
        let micros = timestamp.microsecondsSince1970
        return state.withLock { state in
            var inserted = 0
            for (key, sample) in values.sorted(by: { $0.key < $1.key }) {
                let id = state.id(for: key).id
                if state.series[id, default: Series()].insert(micros, sample.value) { inserted += 1 }
            }
            state.appendBatch(first: micros, last: micros, count: inserted)
            return inserted
        }
    }

    /// Gathers every batch before storing any row: memory is where this store keeps everything
    /// anyway, and a failure while reading then leaves nothing behind. Each metric's new rows are
    /// sorted and merged into its series in one pass, so that an import in any order costs
    /// n log n, not a shift of the series per row.
    public func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary
    where Batches.Element == [SampleRow] {
        var rows: [SampleRow] = []
        for try await batch in batches { rows.append(contentsOf: batch) }
        // A sequence may end early because this task was cancelled: that is not the end of the rows.
        try Task.checkCancellation()
        return state.withLock { state in
            var summary = ImportSummary()
            var byMetric: [Int64: [(timestamp: Int64, value: Double)]] = [:]
            for row in rows {
                let (id, created) = state.id(for: row.key)
                if created { summary.metricsCreated += 1 }
                byMetric[id, default: []].append((row.timestamp.microsecondsSince1970, row.value))
            }
            var first = Int64.max
            var last = Int64.min
            for (id, new) in byMetric {
                // Stable: of equal timestamps, the row that came first stays first.
                let sorted = new.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(
                    \.element)
                let added = state.series[id, default: Series()].merge(sorted)
                summary.inserted += added.count
                summary.duplicates += new.count - added.count
                if let low = added.first, let high = added.last {
                    first = min(first, low)
                    last = max(last, high)
                }
            }
            state.appendBatch(first: first, last: last, count: summary.inserted)
            return summary
        }
    }

    public func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples? {
        state.withLock { state in
            guard id > 0, id <= state.metrics.count else { return nil }
            let slice = (state.series[id] ?? Series()).slice(
                from: range.from.microsecondsSince1970, through: range.through.microsecondsSince1970, limit: limit + 1)
            let isTruncated = slice.timestamps.count > limit
            let count = min(slice.timestamps.count, limit)
            return RangeSamples(
                metric: state.metrics[Int(id) - 1],
                series: SampleColumns(
                    metricID: id, timestamps: Array(slice.timestamps.prefix(count)), values: Array(slice.values.prefix(count))),
                isTruncated: isTruncated)
        }
    }

    public func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges {
        state.withLock { state in
            let firstBatch = state.batches.first?.id ?? 0
            let lastBatch = state.lastBatch
            // The same position as SQLite's: the last batch and the last metric read. A reader
            // further behind than the feed keeps starts over.
            let position = cursor.flatMap { $0.position.count == 2 ? (batch: $0.position[0], metric: $0.position[1]) : nil }
            let kept = position.flatMap { $0.batch + 1 >= firstBatch || lastBatch == $0.batch ? $0 : nil }
            let newMetrics = state.metrics.filter { $0.id > (kept?.metric ?? 0) }
            let next = ChangeCursor(position: [lastBatch, newMetrics.last?.id ?? kept?.metric ?? 0])
            let from = oldest.microsecondsSince1970
            guard let kept else {
                return StoreChanges(
                    cursor: next, isFullLoad: true, metrics: newMetrics, samples: state.allSeries(from: from, through: .max))
            }
            let unread = state.batches.filter { $0.id > kept.batch }
            guard let first = unread.map(\.first).min(), let last = unread.map(\.last).max(), last >= from else {
                return StoreChanges(cursor: next, isFullLoad: false, metrics: newMetrics, samples: [])
            }
            return StoreChanges(
                cursor: next, isFullLoad: false, metrics: newMetrics, samples: state.allSeries(from: max(first, from), through: last))
        }
    }

    public func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp] {
        state.withLock { state in
            keys.reduce(into: [:]) { result, key in
                guard let id = state.ids[key], let newest = state.series[id]?.timestamps.last else { return }
                result[key] = Timestamp(microsecondsSince1970: newest)
            }
        }
    }

    public func checkReadable() async throws {}
}
