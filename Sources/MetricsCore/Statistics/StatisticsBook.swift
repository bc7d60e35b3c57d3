/// Every metric's recent history and ready statistics, with the rankings they imply: what the API
/// reads, so that a request never scans a window or sorts metrics.
///
/// A plain value, with no I/O and no clock of its own: its owner feeds it samples and the time.
/// Reading a metric is a dictionary lookup and, for its rank, a binary search.
public struct StatisticsBook: Sendable {
    /// A ranking's identity: which metrics, over which window, by which measure.
    public struct RankingKey: Hashable, Sendable {
        public let type: MetricType
        public let window: StatisticsWindow
        public let measure: VolatilityMeasure

        public init(type: MetricType, window: StatisticsWindow, measure: VolatilityMeasure) {
            self.type = type
            self.window = window
            self.measure = measure
        }
    }

    /// Where each metric's series is in `series`: an array, so that advancing every series mutates
    /// each in place (iterating a dictionary while mutating it would copy every series).
    private var slotByID: [Int64: Int] = [:]
    private var series: [MetricSeries] = []
    private var seriesMetric: [Metric] = []
    private var rankings: [RankingKey: RankingIndex] = [:]
    /// Metrics given samples since the last advance.
    private var touched: Set<Int64> = []
    private let windows: [StatisticsWindow]

    /// Every metric, ascending by id.
    public private(set) var metrics: [Metric] = []
    /// Increases whenever anything a response shows changes: a cache of responses is valid while
    /// it stays the same.
    public private(set) var generation: UInt64 = 0
    /// The time of the last advance.
    public private(set) var now: Timestamp?

    public init(windows: [StatisticsWindow] = StatisticsWindow.allCases) {
        self.windows = windows.sorted()
    }

    /// A book that replaces one at `generation`: its generations continue from there, so that
    /// nothing cached for the old book is taken for the new one.
    public init(generationAfter generation: UInt64, windows: [StatisticsWindow] = StatisticsWindow.allCases) {
        self.init(windows: windows)
        self.generation = generation &+ 1
    }

    /// Adds metrics not known yet.
    public mutating func register(_ newMetrics: some Sequence<Metric>) {
        var added = false
        for metric in newMetrics where slotByID[metric.id] == nil {
            slotByID[metric.id] = series.count
            series.append(MetricSeries(windows: windows))
            seriesMetric.append(metric)
            added = true
        }
        guard added else { return }
        metrics = seriesMetric.sorted { $0.id < $1.id }
        generation &+= 1
    }

    /// Adds samples of a registered metric; returns how many were new. Statistics follow at the
    /// next ``advance(to:)``. `taken` is called with the offset of each sample that was new (see
    /// ``MetricSeries/insert(timestamps:values:taken:)``).
    @discardableResult
    public mutating func insert(_ id: Int64, timestamps: [Int64], values: [Double], taken: ((Int) -> Void)? = nil) -> Int {
        guard let slot = slotByID[id] else { return 0 }
        let added = series[slot].insert(timestamps: timestamps, values: values, taken: taken)
        if added > 0 { touched.insert(id) }
        return added
    }

    /// Slides every window to end at `now`, recomputes what moved and re-ranks it.
    public mutating func advance(to now: Timestamp) {
        self.now = now
        var changes: [RankingKey: [(id: Int64, value: Double?)]] = [:]
        for slot in series.indices {
            let changed = series[slot].advance(to: now)
            guard !changed.isEmpty else { continue }
            let metric = seriesMetric[slot]
            for window in changed {
                let statistics = series[slot].statistics(window)
                for measure in VolatilityMeasure.allCases {
                    changes[RankingKey(type: metric.type, window: window, measure: measure), default: []]
                        .append((metric.id, statistics.value(of: measure)))
                }
            }
        }
        // A metric given samples changes its history even when no statistic moved.
        if !changes.isEmpty || !touched.isEmpty { generation &+= 1 }
        touched.removeAll(keepingCapacity: true)
        for (key, updates) in changes { rankings[key, default: RankingIndex()].update(updates) }
    }

    /// How many samples the book holds, over every series.
    public var sampleCount: Int { series.reduce(0) { $0 + $1.count } }

    public func metric(_ id: Int64) -> Metric? { slotByID[id].map { seriesMetric[$0] } }

    /// One metric over one window, as of the last advance; `nil` for an unknown id.
    public func report(of id: Int64, window: StatisticsWindow) -> MetricReport? {
        guard let slot = slotByID[id] else { return nil }
        let metric = seriesMetric[slot]
        let held = series[slot]
        let statistics = held.statistics(window)
        return MetricReport(
            metric: metric,
            window: window,
            history: held.history(window),
            statistics: statistics,
            rank: rankings[RankingKey(type: metric.type, window: window, measure: .standardDeviation)]?.rank(of: id)
        )
    }

    /// The ranking for `key`, ascending; empty when no metric has that measure.
    public func ranking(_ key: RankingKey) -> RankingIndex {
        rankings[key] ?? RankingIndex()
    }

    /// Every sample held for metric `id` (its longest window's), as of the last advance.
    public func heldSamples(of id: Int64) -> SampleHistory? {
        guard let slot = slotByID[id], let longest = windows.last else { return nil }
        return series[slot].history(longest)
    }

    public func statistics(of id: Int64, window: StatisticsWindow) -> WindowStatistics {
        slotByID[id].map { series[$0].statistics(window) } ?? .empty
    }
}

/// What the API serves for one metric over one window.
public struct MetricReport: Sendable {
    public let metric: Metric
    /// `nil` for a custom range.
    public let window: StatisticsWindow?
    public let history: SampleHistory
    public let statistics: WindowStatistics
    /// Position among metrics of the same type by standard deviation; `nil` without one, or for a
    /// custom range, which has no peers to rank against.
    public let rank: Rank?

    public init(metric: Metric, window: StatisticsWindow?, history: SampleHistory, statistics: WindowStatistics, rank: Rank?) {
        self.metric = metric
        self.window = window
        self.history = history
        self.statistics = statistics
        self.rank = rank
    }
}
