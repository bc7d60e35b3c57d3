import MetricsCore
import MetricsStore
import Testing

/// What every ``MetricStore`` promises, run against each store the project has: the poller, the
/// importer and the API rely on these and on nothing else.
@Suite struct StoreConformanceTests {
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")
    let t0 = try! Timestamp(rfc3339: "2026-11-25T12:00:00Z")

    private func key(_ ticker: Ticker, _ type: MetricType) -> MetricKey { MetricKey(ticker: ticker, type: type) }

    @Test(arguments: StoreKind.available)
    func savingACycleCreatesEachMetricOnceAndOneSamplePerMetric(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let cycle: [MetricKey: Double] = [
                key(btc, .price): 90_000, key(btc, .volume): 3_000, key(eth, .price): 3_000, key(eth, .volume): 40_000,
            ]
            #expect(try await store.record(cycle, at: t0, origin: .polled(from: "test")) == 4)
            #expect(try await store.record(cycle, at: t0.adding(seconds: 60), origin: .polled(from: "test")) == 4)

            let metrics = try await store.metrics()
            #expect(metrics.count == 4)
            #expect(Set(metrics.map(\.key)) == Set(cycle.keys))
            #expect(metrics.map(\.id) == metrics.map(\.id).sorted())
            let range = TimeRange(from: t0, through: t0.adding(seconds: 60))
            for metric in metrics {
                let window = try #require(try await store.samples(of: metric.id, in: range))
                #expect(window.metric == metric)
                #expect(window.samples.map(\.timestamp) == [t0, t0.adding(seconds: 60)])
                #expect(window.samples.allSatisfy { $0.value == cycle[metric.key] })
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func keepsTheFirstValueForAMetricAtOneInstant(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.record([key(btc, .price): 1], at: t0, origin: .polled(from: "test")) == 1)
            #expect(try await store.record([key(btc, .price): 2], at: t0, origin: .polled(from: "test")) == 0)
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(last: 60, endingAt: t0)))
            #expect(window.samples.map(\.value) == [1])
        }
    }

    @Test(arguments: StoreKind.available)
    func aWindowHoldsOnlyItsRangeInTimeOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let offsets: [Double] = [-86_401, -86_400, -3_600, -60, 0, 1]  // one too old, one in the future
            for offset in offsets.shuffled() {
                try await store.record([key(btc, .price): 100 + offset], at: t0.adding(seconds: offset), origin: .polled(from: "test"))
            }
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(last: 86_400, endingAt: t0)))
            #expect(window.samples.map(\.timestamp) == [-86_400, -3_600, -60, 0].map { t0.adding(seconds: $0) })
            #expect(try await store.samples(of: id + 100, in: TimeRange(last: 86_400, endingAt: t0)) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRangeReadStopsAtItsLimit(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            for minute in 0..<5 {
                try await store.record(
                    [key(btc, .price): Double(minute)], at: t0.adding(seconds: Double(minute) * 60), origin: .polled(from: "test"))
            }
            let range = TimeRange(from: t0, through: t0.adding(seconds: 240))
            let all = try #require(try await store.samples(of: 1, in: range, limit: 5))
            #expect(!all.isTruncated && all.series.values == [0, 1, 2, 3, 4])
            let capped = try #require(try await store.samples(of: 1, in: range, limit: 3))
            #expect(capped.isTruncated && capped.series.values == [0, 1, 2])
            #expect(try await store.samples(of: 2, in: range, limit: 3) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func createsMetricsInTheOrderAsked(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let zonda = try Ticker(parsing: "ZONDA:LTCUSD")
            let keys = [key(btc, .price), key(btc, .volume), key(eth, .price), key(eth, .volume), key(zonda, .price), key(zonda, .volume)]
            let metrics = try await store.metrics(for: keys)
            #expect(keys.map { metrics[$0]?.id } == [1, 2, 3, 4, 5, 6])
            #expect(try await store.metrics().map(\.key) == keys)
            #expect(try await store.metrics(for: [keys[3]])[keys[3]]?.id == 4, "asking again finds the same id")
        }
    }

    @Test(arguments: StoreKind.available)
    func theChangeFeedHandsEachWriteToItsReaderOnce(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let old = t0.adding(seconds: -8 * 86_400)
            try await store.record([key(btc, .price): 1], at: old, origin: .polled(from: "test"))
            try await store.record([key(btc, .price): 2, key(eth, .price): 3], at: t0, origin: .polled(from: "test"))

            // The first read loads everything from the oldest time asked for.
            let first = try await store.changes(after: nil, from: t0.adding(seconds: -86_400))
            #expect(first.isFullLoad)
            #expect(first.metrics.map(\.key) == [key(btc, .price), key(eth, .price)])
            #expect(first.samples.map(\.values) == [[2], [3]], "the sample older than asked for is left out")

            // Nothing new: nothing to read.
            let idle = try await store.changes(after: first.cursor, from: old)
            #expect(!idle.isFullLoad && idle.samples.isEmpty && idle.metrics.isEmpty)
            #expect(try await store.record([key(btc, .price): 9], at: t0, origin: .polled(from: "test")) == 0)
            #expect(try await store.changes(after: first.cursor, from: old).samples.isEmpty, "a write that added nothing is no change")

            // A cycle with a new metric: the metric and the cycle's samples only.
            try await store.record([key(btc, .price): 4, key(btc, .volume): 5], at: t0.adding(seconds: 60), origin: .polled(from: "test"))
            let next = try await store.changes(after: first.cursor, from: old)
            #expect(!next.isFullLoad)
            #expect(next.metrics.map(\.key) == [key(btc, .volume)])
            let minute = t0.adding(seconds: 60).microsecondsSince1970
            #expect(next.samples.map(\.timestamps) == [[minute], [minute]])
            #expect(next.samples.map(\.values) == [[4], [5]])

            // An import is one write covering its rows' range, which may be in the past.
            let summary = try await store.importSamples([
                SampleRow(key: key(eth, .price), timestamp: t0.adding(seconds: -120), value: 7),
                SampleRow(key: key(eth, .price), timestamp: t0.adding(seconds: -60), value: 8),
            ])
            #expect(summary.inserted == 2)
            let imported = try await store.changes(after: next.cursor, from: old)
            let ethSeries = try #require(imported.samples.first { $0.metricID == first.metrics[1].id })
            #expect(ethSeries.values == [7, 8], "the write covers its own range only")
            #expect(try await store.changes(after: imported.cursor, from: old).samples.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func importIsAllOrNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            // The reading fails after two batches were handed over: nothing of them is kept.
            let failing = RowBatches(
                batches: [
                    [SampleRow(key: key(btc, .price), timestamp: t0, value: 1)],
                    [SampleRow(key: key(eth, .price), timestamp: t0, value: 2)],
                ], failsAtTheEnd: true)
            await #expect(throws: RowBatches.Stop.self) { _ = try await store.importSamples(failing) }
            #expect(try await store.metrics().isEmpty)
            #expect(try await store.changes(after: nil, from: t0.adding(seconds: -60)).samples.isEmpty)

            // Several batches, with a repeated instant in a later batch: the first value stays.
            let rows = (0..<10).map { minute in
                SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: Double(minute) * 60), value: Double(minute))
            }
            let batches = RowBatches(batches: [
                Array(rows[..<4]), [], Array(rows[4...]), [SampleRow(key: key(btc, .price), timestamp: t0, value: 99)],
            ])
            let summary = try await store.importSamples(batches)
            #expect(summary == ImportSummary(inserted: 10, duplicates: 1, metricsCreated: 1))
            let id = try await store.metrics()[0].id
            let window = try #require(try await store.samples(of: id, in: TimeRange(from: t0, through: t0.adding(seconds: 600))))
            #expect(window.samples.map(\.value) == (0..<10).map(Double.init))

            // Imported again, every row is a duplicate and nothing changes.
            let again = try await store.importSamples(RowBatches(batches: [rows]))
            #expect(again == ImportSummary(inserted: 0, duplicates: 10, metricsCreated: 0))
        }
    }

    /// A shutdown during an import: the task is cancelled after the store has taken a first batch
    /// (SQLite's transaction is open), while it waits for more. Nothing is kept, and the import
    /// ends with the cancellation rather than waiting for rows that will not come.
    @Test(.timeLimit(.minutes(1)), arguments: StoreKind.available)
    func aCancelledImportStoresNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { (store: any MetricStore) async throws -> Void in
            let (asked, askedSink) = AsyncStream.makeStream(of: Void.self)
            let batches = StalledBatches(first: [SampleRow(key: key(btc, .price), timestamp: t0, value: 1)], asked: askedSink)
            let importing = Task { try await store.importSamples(batches) }
            var iterator = asked.makeAsyncIterator()
            _ = await iterator.next()
            importing.cancel()
            await #expect(throws: CancellationError.self) { _ = try await importing.value }
            let metrics = try await store.metrics()
            #expect(metrics.isEmpty, "not even the metric the first batch named")
            let feed = try await store.changes(after: nil, from: t0.adding(seconds: -60))
            #expect(feed.sampleCount == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func anImportInAnyOrderIsStoredInTimeOrderAndTheFirstValueWins(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            try await store.record([key(btc, .price): 500], at: t0.adding(seconds: 300), origin: .polled(from: "test"))
            var rows = (0..<10).map { SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: Double($0) * 60), value: Double($0)) }
            rows.shuffle()
            // The same instant twice in one import: the row that comes first is kept.
            rows.insert(SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: 120), value: 22), at: 0)
            rows.append(SampleRow(key: key(btc, .price), timestamp: t0.adding(seconds: 120), value: -1))
            let summary = try await store.importSamples(RowBatches(batches: [Array(rows[..<5]), Array(rows[5...])]))
            #expect(summary == ImportSummary(inserted: 9, duplicates: 3, metricsCreated: 0), "the polled 500 and both repeats of 120 s")
            let stored = try #require(try await store.samples(of: 1, in: TimeRange(from: t0, through: t0.adding(seconds: 540))))
            #expect(stored.samples.map(\.value) == [0, 1, 22, 3, 4, 500, 6, 7, 8, 9])
        }
    }

    @Test(arguments: StoreKind.available)
    func latestTimestampsAreTheNewestSamplePerMetric(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            try await store.record([key(btc, .price): 1], at: t0, origin: .polled(from: "test"))
            try await store.record([key(btc, .price): 2], at: t0.adding(seconds: 60), origin: .polled(from: "test"))
            _ = try await store.metrics(for: [key(eth, .price)])
            let latest = try await store.latestTimestamps(of: [key(btc, .price), key(eth, .price), key(eth, .volume)])
            #expect(latest == [key(btc, .price): t0.adding(seconds: 60)], "a metric without samples has no newest one")
            try await store.checkReadable()
        }
    }
}
