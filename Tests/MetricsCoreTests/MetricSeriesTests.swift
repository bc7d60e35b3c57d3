import MetricsCore
import PropertyBased
import Testing

/// The statistics kept ready as samples arrive and age out must equal a two-pass computation over
/// exactly the samples in each window, whatever the series, the arrival order and the clock.
@Suite struct MetricSeriesTests {
    static let start: Int64 = 1_764_000_000_000_000

    /// Feeds `values` one per `spacing` seconds, advancing the clock to each sample (every `batch`
    /// samples), and checks every window against the reference at every `checkEvery`-th advance
    /// and at the end.
    private func check(_ family: SeriesFamily, values: [Double], spacing: Int64, batch: Int, checkEvery: Int = 1) {
        var series = MetricSeries()
        let stamps = values.indices.map { Self.start + Int64($0) * spacing * 1_000_000 }
        var firstInWindow = [Int](repeating: 0, count: StatisticsWindow.allCases.count)
        var index = 0
        var advances = 0
        while index < values.count {
            let upper = min(index + batch, values.count)
            series.insert(timestamps: Array(stamps[index..<upper]), values: Array(values[index..<upper]))
            let now = Timestamp(microsecondsSince1970: stamps[upper - 1])
            series.advance(to: now)
            advances += 1
            for (position, window) in StatisticsWindow.allCases.enumerated() {
                let cutoff = now.microsecondsSince1970 - window.microseconds
                while stamps[firstInWindow[position]] < cutoff { firstInWindow[position] += 1 }
                guard advances % checkEvery == 0 || upper == values.count else { continue }
                let inWindow = Array(values[firstInWindow[position]..<upper])
                expectClose(series.statistics(window), Reference.statistics(inWindow), "\(family) \(window) after \(upper)")
                #expect(series.history(window).values.elementsEqual(inWindow), "\(family) \(window) history after \(upper)")
            }
            index = upper
        }
    }

    @Test func everyWindowMatchesTheTwoPassReference() async {
        await propertyCheck(
            count: 50,
            input: Gen.int(in: 0...(SeriesFamily.allCases.count - 1)), Gen.double(in: -1...1).array(of: 1...50),
            Gen.int(in: 2...500), Gen.int(in: 15...400), Gen.int(in: 1...40)
        ) { family, steps, count, spacing, batch in
            let family = SeriesFamily(rawValue: family)!
            check(family, values: family.values(steps: steps, count: count), spacing: Int64(spacing), batch: batch)
        }
    }

    @Test(arguments: SeriesFamily.allCases)
    func adversarialSeriesStayExact(_ family: SeriesFamily) {
        var random = SplitMix(seed: UInt64(family.rawValue))
        let steps = (0..<997).map { _ in Double.random(in: -1...1, using: &random) }
        // A day and a half at a sample a minute: every window slides, the 24-hour one included.
        check(family, values: family.values(steps: steps, count: 2_200), spacing: 60, batch: 3, checkEvery: 7)
    }

    /// An instance that slid into a window and one that loaded it at start serve the same numbers,
    /// so that their bodies and ETags agree behind a load balancer.
    @Test func theSameSamplesGiveTheSameNumbersWhicheverWayTheyArrived() {
        var random = SplitMix(seed: 11)
        var level = 90_000.0
        let count = 3 * 1_440
        let stamps = (0..<count).map { Self.start + Int64($0) * 60_000_000 }
        let values = (0..<count).map { _ in
            level += Double.random(in: -1...1, using: &random) * 25
            return (level * 100).rounded() / 100
        }
        var sliding = MetricSeries()
        var mismatches = 0
        var compared = 0
        for index in 0..<count {
            sliding.insert(timestamps: [stamps[index]], values: [values[index]])
            let now = Timestamp(microsecondsSince1970: stamps[index])
            sliding.advance(to: now)
            guard (index + 1) % 144 == 0 else { continue }
            var loaded = MetricSeries()
            loaded.insert(timestamps: Array(stamps[...index]), values: Array(values[...index]))
            loaded.advance(to: now)
            for window in StatisticsWindow.allCases {
                compared += 1
                if sliding.statistics(window) != loaded.statistics(window) { mismatches += 1 }
            }
        }
        #expect(compared == 90)
        #expect(mismatches == 0, "\(mismatches) of \(compared) windows differ")
    }

    @Test func aConstantWindowIsExactlyZeroAfterAVolatileOne() {
        var series = MetricSeries(windows: [.oneHour])
        let values = [1e12, 5, 1e-3, 7e9] + Array(repeating: 1.00001, count: 200)
        for (index, value) in values.enumerated() {
            series.insert(timestamps: [Self.start + Int64(index) * 60_000_000], values: [value])
            series.advance(to: Timestamp(microsecondsSince1970: Self.start + Int64(index) * 60_000_000))
        }
        let statistics = series.statistics(.oneHour)
        #expect(statistics.count == 61)
        #expect(statistics.standardDeviation == 0, "exactly zero, not a rounding residue of the spikes")
        #expect(statistics.logReturnVolatility == 0)
        #expect(statistics.coefficientOfVariation == 0)
    }

    @Test func millionsOfSamplesStayExact() {
        // Two million samples a second apart through the 1-hour and 24-hour windows, a price near
        // 100,000 moving by 0.001, advanced once a minute as a poller would.
        var series = MetricSeries(windows: [.oneHour, .oneDay])
        var random = SplitMix(seed: 7)
        var level = 100_000.0
        var recent: [Double] = []
        let total = 2_000_000
        var timestamps: [Int64] = []
        var values: [Double] = []
        for index in 0..<total {
            level += Double.random(in: -1...1, using: &random) * 0.001
            timestamps.append(Self.start + Int64(index) * 1_000_000)
            values.append(level)
            recent.append(level)
            if values.count == 60 {
                series.insert(timestamps: timestamps, values: values)
                series.advance(to: Timestamp(microsecondsSince1970: timestamps.last!))
                timestamps.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
                if recent.count > 86_401 { recent.removeFirst(recent.count - 86_401) }
                if (index + 1) % 250_020 == 0 {
                    expectClose(series.statistics(.oneDay), Reference.statistics(recent), "24h after \(index + 1)")
                    expectClose(series.statistics(.oneHour), Reference.statistics(Array(recent.suffix(3_601))), "1h after \(index + 1)")
                }
            }
        }
        #expect(series.count == 86_401, "the series keeps the longest window, not the two million")
    }

    @Test func lateAndRepeatedSamplesAreFoldedIn() {
        var series = MetricSeries(windows: [.oneHour])
        let minute: Int64 = 60_000_000
        series.insert(timestamps: [0, 2, 4].map { Self.start + $0 * minute }, values: [1, 3, 5])
        series.advance(to: Timestamp(microsecondsSince1970: Self.start + 4 * minute))
        // A late sample between two others, one repeated with another value, one too old to matter.
        series.insert(
            timestamps: [1, 2, -61].map { Self.start + $0 * minute }, values: [2, 99, 1_000])
        series.advance(to: Timestamp(microsecondsSince1970: Self.start + 4 * minute))
        #expect(Array(series.history(.oneHour).values) == [1, 2, 3, 5], "the first value stored at a time is kept")
        expectClose(series.statistics(.oneHour), Reference.statistics([1, 2, 3, 5]), "after late samples")
    }

    @Test func samplesComeBackWhenTheClockGoesBack() {
        var series = MetricSeries(windows: [.oneHour])
        let minute: Int64 = 60_000_000
        let stamps = (0..<120).map { Self.start + Int64($0) * minute }
        series.insert(timestamps: stamps, values: stamps.indices.map(Double.init))
        series.advance(to: Timestamp(microsecondsSince1970: stamps[119]))
        #expect(series.statistics(.oneHour).count == 61)
        series.advance(to: Timestamp(microsecondsSince1970: stamps[100]))
        #expect(series.statistics(.oneHour).count == 80, "40...119: the hour before 100 is back (and later samples stay)")
        expectClose(series.statistics(.oneHour), Reference.statistics((40...119).map(Double.init)), "after the clock went back")
    }

    @Test func aZeroHasNoLogReturnUntilItLeaves() {
        var series = MetricSeries(windows: [.oneHour])
        let minute: Int64 = 60_000_000
        let values: [Double] = [0] + (1...60).map { 10 + Double($0 % 3) }
        for (index, value) in values.enumerated() {
            series.insert(timestamps: [Self.start + Int64(index) * minute], values: [value])
            series.advance(to: Timestamp(microsecondsSince1970: Self.start + Int64(index) * minute))
        }
        #expect(series.statistics(.oneHour).logReturnVolatility == nil, "the zero is still in the window")
        series.advance(to: Timestamp(microsecondsSince1970: Self.start + 61 * minute))
        #expect(series.statistics(.oneHour).logReturnVolatility != nil, "the zero has left")
        expectClose(series.statistics(.oneHour), Reference.statistics(Array(values.dropFirst(1))), "after the zero left")
    }

    @Test func fewSamplesHaveNoStatistics() {
        var series = MetricSeries(windows: [.oneHour])
        series.advance(to: Timestamp(microsecondsSince1970: Self.start))
        #expect(series.statistics(.oneHour) == .empty)
        series.insert(timestamps: [Self.start, Self.start + 1], values: [5, 6])
        series.advance(to: Timestamp(microsecondsSince1970: Self.start + 1))
        let two = series.statistics(.oneHour)
        #expect(two.standardDeviation != nil && two.logReturnVolatility == nil, "two samples: a deviation, but one return only")
    }
}
