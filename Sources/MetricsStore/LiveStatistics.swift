import Logging
import MetricsCore
import Synchronization

/// The statistics every API instance serves, kept current by following the store's change feed.
///
/// Each instance holds its own ``StatisticsBook`` in memory and reads what any process stored
/// (its own poller, `cryptometrics poll` elsewhere, an import) from the feed, a few times a
/// second. Requests read the book under a lock held for a lookup; a refresh holds it while it
/// folds a cycle in.
public final class LiveStatistics: Sendable {
    /// How often ``run(logger:)`` reads the feed: a stored sample shows within this, plus the time
    /// to fold it in.
    public static var defaultInterval: Duration { .milliseconds(250) }
    /// Changes larger than this are applied as a fresh load built beside the served book, so that
    /// requests are not held up while an import's millions of samples are folded in.
    static var largeChange: Int { 250_000 }

    private struct State: Sendable {
        var book = StatisticsBook()
        var cursor: ChangeCursor?
        var isLoaded = false
    }

    public let store: any MetricStore
    /// Rings after every refresh that brought samples: the alert detector waits on it.
    public let newSamples = Doorbell()
    private let now: @Sendable () -> Timestamp
    private let state = Mutex(State())

    /// - Parameter now: the clock that ends every window; tests pass their own.
    public init(store: any MetricStore, now: @escaping @Sendable () -> Timestamp = { .now }) {
        self.store = store
        self.now = now
    }

    /// Whether the first load has finished; until then the API answers 503.
    public var isLoaded: Bool { state.withLock { $0.isLoaded } }

    /// Reads the book under the lock. Keep `body` short: copy out what is needed.
    public func read<Result>(_ body: (borrowing StatisticsBook) -> Result) -> Result {
        state.withLock { body($0.book) }
    }

    /// What one refresh did.
    public struct Refresh: Sendable {
        public var samples = 0
        public var metrics = 0
        public var isFullLoad = false
        /// Reading the feed and its samples.
        public var reading = Duration.zero
        /// Folding them into the statistics and re-ranking.
        public var folding = Duration.zero
        /// The samples this refresh added to the book, by metric, in the order read; empty after a
        /// full load, which replaces the book rather than adding to it.
        public var added: [SampleColumns] = []
    }

    /// Reads the feed once and folds what it brings into the book, then slides every window to
    /// now. Not to be called concurrently with itself: ``run(logger:)`` calls it in a loop, tests
    /// call it directly.
    @discardableResult
    public func refresh() async throws -> Refresh {
        let clock = ContinuousClock()
        let started = clock.now
        let (cursor, previous) = state.withLock { ($0.cursor, $0.book.now) }
        // The windows never move back: a wall clock stepped back (NTP) would otherwise make every
        // series fold its windows afresh while requests wait.
        let wallClock = now()
        let time = previous.map { max($0, wallClock) } ?? wallClock
        let oldest = Timestamp(microsecondsSince1970: time.microsecondsSince1970 - StatisticsWindow.longest.microseconds)
        var changes = try await store.changes(after: cursor, from: oldest)
        if !changes.isFullLoad, changes.sampleCount > Self.largeChange {
            changes = try await store.changes(after: nil, from: oldest)
        }
        let read = clock.now
        var report = Refresh(samples: changes.sampleCount, metrics: changes.samples.count, isFullLoad: changes.isFullLoad)
        report.reading = read - started
        if changes.isFullLoad {
            // Built beside the served book, then swapped in.
            let generation = state.withLock { $0.book.generation }
            var book = StatisticsBook(generationAfter: generation)
            book.register(changes.metrics)
            for series in changes.samples { book.insert(series.metricID, timestamps: series.timestamps, values: series.values) }
            book.advance(to: time)
            state.withLock { state in
                state.book = book
                state.cursor = changes.cursor
                state.isLoaded = true
            }
        } else {
            report.added = state.withLock { state in
                state.book.register(changes.metrics)
                var added: [SampleColumns] = []
                for series in changes.samples {
                    // The feed may repeat samples already held: only the new ones are reported.
                    var fresh = SampleColumns(metricID: series.metricID)
                    state.book.insert(series.metricID, timestamps: series.timestamps, values: series.values) { offset in
                        fresh.timestamps.append(series.timestamps[offset])
                        fresh.values.append(series.values[offset])
                    }
                    if !fresh.timestamps.isEmpty { added.append(fresh) }
                }
                state.book.advance(to: time)
                state.cursor = changes.cursor
                return added
            }
        }
        report.folding = clock.now - read
        if report.samples > 0 { newSamples.ring() }
        return report
    }

    /// Refreshes every `interval` until cancelled. A failed read is logged and retried at the
    /// next tick; the book keeps serving what it has.
    ///
    /// - Parameter refreshed: called after each refresh, before the next: the live stream
    ///   publishes what it added.
    public func run(
        every interval: Duration = defaultInterval, logger: Logger, refreshed: @Sendable (Refresh) -> Void = { _ in }
    ) async {
        var failing = false
        while !Task.isCancelled {
            do {
                let report = try await refresh()
                refreshed(report)
                if report.samples > 0 {
                    logger.debug(
                        "statistics: \(report.isFullLoad ? "loaded" : "folded in") \(report.samples) samples of \(report.metrics) metrics (read in \(report.reading), folded in \(report.folding))"
                    )
                }
                if failing {
                    logger.info("statistics follow the store again")
                    failing = false
                }
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.error("cannot read the store's new samples; statistics are not updating: \(error)") }
                failing = true
            }
            try? await Task.sleep(for: interval)
        }
    }
}
