import MetricsCore

/// Where samples are kept: the seam between the poller and importer that write and the API that
/// reads, so that SQLite (one machine), PostgreSQL (several) and memory (tests) are
/// interchangeable. Every implementation passes the same conformance suite.
///
/// Implementations are safe to share between tasks, and several processes may write to the same
/// database at once (`cryptometrics poll` beside `cryptometrics serve --no-poll`). Metric ids are
/// assigned once, in creation order, and never change.
public protocol MetricStore: Sendable {
    /// Every metric, ascending by id.
    func metrics() async throws -> [Metric]

    /// The metrics for `keys`, created with new ids in the order given where they do not exist yet.
    func metrics(for keys: [MetricKey]) async throws -> [MetricKey: Metric]

    /// Stores one value per metric, all at one timestamp, in one transaction (a poll cycle), creating
    /// metrics that do not exist, each with the upstream that served it. A value already stored
    /// for a metric at that timestamp is kept. Returns how many samples were added. Once it
    /// returns, the samples survive a crash.
    @discardableResult
    func record(_ values: [MetricKey: SampleValue], at timestamp: Timestamp) async throws -> Int

    /// Stores every row of every batch in one transaction: all of them, or none when reading
    /// `batches` throws or the store refuses a row. Rows whose metric already has a sample at that
    /// timestamp (in the store, or earlier in the same import) are skipped and counted. Built for
    /// bulk loads of millions of rows: batches are written as they come, not gathered first.
    func importSamples<Batches: AsyncSequence>(_ batches: Batches) async throws -> ImportSummary
    where Batches.Element == [SampleRow]

    /// One metric's samples in `range`, ascending, at most `limit` of them; `nil` when no metric has
    /// this id.
    func samples(of id: Int64, in range: TimeRange, limit: Int) async throws -> RangeSamples?

    /// What was stored after `cursor` by any process: new metrics, and the samples of the time range
    /// the new writes cover, from `oldest` on. With a `nil` cursor, everything from `oldest` on.
    /// Read from one snapshot, so that a sample is either in these changes or in later ones.
    func changes(after cursor: ChangeCursor?, from oldest: Timestamp) async throws -> StoreChanges

    /// The newest timestamp stored for each of `keys` that has any sample.
    func latestTimestamps(of keys: [MetricKey]) async throws -> [MetricKey: Timestamp]

    /// Throws when the database cannot be read, for readiness checks.
    func checkReadable() async throws
}

/// What a bulk import did.
public struct ImportSummary: Hashable, Sendable {
    /// Rows stored.
    public var inserted: Int
    /// Rows skipped because their metric already had a sample at that timestamp.
    public var duplicates: Int
    /// Metrics created because a row named them first.
    public var metricsCreated: Int

    public init(inserted: Int = 0, duplicates: Int = 0, metricsCreated: Int = 0) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.metricsCreated = metricsCreated
    }
}

extension MetricStore {
    /// Imports rows already in memory (a backfill's candles) as one batch.
    public func importSamples(_ rows: [SampleRow]) async throws -> ImportSummary {
        try await importSamples(
            AsyncStream { batches in
                batches.yield(rows)
                batches.finish()
            })
    }

    /// Stores values that all came from one `origin`.
    @discardableResult
    public func record(_ values: [MetricKey: Double], at timestamp: Timestamp, origin: SampleOrigin) async throws -> Int {
        try await record(values.mapValues { SampleValue($0, from: origin) }, at: timestamp)
    }

    /// Every sample of one metric in `range`.
    public func samples(of id: Int64, in range: TimeRange) async throws -> RangeSamples? {
        try await samples(of: id, in: range, limit: Int(Int32.max))
    }
}
