import MetricsCore

/// Where a reader of the change feed is. What it holds is each store's own business (SQLite: the
/// last batch and metric read; a PostgreSQL feed needs a commit-ordered position), so a reader
/// keeps the cursor its store handed out and gives it back, never making one of its own.
public struct ChangeCursor: Hashable, Sendable, CustomStringConvertible {
    /// The store's own numbers, in the store's own order.
    public let position: [Int64]

    public init(position: [Int64]) {
        self.position = position
    }

    public var description: String { position.map(String.init).joined(separator: "/") }
}

/// What the store gained since a ``ChangeCursor``: new metrics, and samples of every metric in the
/// time range the new batches cover (which may repeat samples already seen; readers skip those).
public struct StoreChanges: Sendable {
    public let cursor: ChangeCursor
    /// True when these are every sample since the oldest time asked for, not only the new ones:
    /// at the first read, or when the reader fell behind the feed's retention.
    public let isFullLoad: Bool
    public let metrics: [Metric]
    public let samples: [SampleColumns]

    public init(cursor: ChangeCursor, isFullLoad: Bool, metrics: [Metric], samples: [SampleColumns]) {
        self.cursor = cursor
        self.isFullLoad = isFullLoad
        self.metrics = metrics
        self.samples = samples
    }

    public var sampleCount: Int { samples.reduce(0) { $0 + $1.timestamps.count } }
}

/// One metric's samples as two parallel arrays, ascending by timestamp: the shape the statistics
/// keep, so that a load hands its arrays over without copying.
public struct SampleColumns: Sendable {
    public let metricID: Int64
    public var timestamps: [Int64]
    public var values: [Double]

    public init(metricID: Int64, timestamps: [Int64] = [], values: [Double] = []) {
        self.metricID = metricID
        self.timestamps = timestamps
        self.values = values
    }
}

/// A metric's samples in a range, read on demand for `?from=&to=`.
public struct RangeSamples: Sendable {
    public let metric: Metric
    public let series: SampleColumns
    /// True when the range holds more samples than the limit asked for; `samples` then holds
    /// only the first ones.
    public let isTruncated: Bool

    public init(metric: Metric, series: SampleColumns, isTruncated: Bool) {
        self.metric = metric
        self.series = series
        self.isTruncated = isTruncated
    }

    public var samples: [Sample] {
        zip(series.timestamps, series.values).map { Sample(timestamp: Timestamp(microsecondsSince1970: $0), value: $1) }
    }
}

extension SampleColumns {
    /// A copy of `elements` with a quarter more capacity than it needs: the series it becomes
    /// grows by a sample at a time and drops old ones in batches, so it never doubles its storage.
    public static func sized<Element>(_ elements: [Element]) -> [Element] {
        var copy: [Element] = []
        copy.reserveCapacity(elements.count + elements.count / 4 + 64)
        copy.append(contentsOf: elements)
        return copy
    }
}
