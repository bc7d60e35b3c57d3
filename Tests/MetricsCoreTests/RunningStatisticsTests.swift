import MetricsCore
import Testing

@Suite struct RunningStatisticsTests {
    @Test func matchesTheOriginalsExample() throws {
        let deviation = try #require(RunningStatistics([1, 2, 3, 4]).sampleStandardDeviation)
        #expect(abs(deviation - (5.0 / 3.0).squareRoot()) < 1e-15)
    }

    @Test func needsTwoValues() {
        #expect(RunningStatistics().sampleStandardDeviation == nil)
        #expect(RunningStatistics([42]).sampleStandardDeviation == nil)
        #expect(RunningStatistics([42, 42]).sampleStandardDeviation == 0)
    }

    @Test func aConstantSeriesHasExactlyZeroDeviation() {
        for value in [0.1, 1.00001, 99_999.999, 1e-8] {
            #expect(RunningStatistics(Array(repeating: value, count: 10_000)).sampleStandardDeviation == 0)
        }
    }

    @Test(arguments: [
        (100_000.0, 0.001),  // a BTC price moving by a thousandth
        (1.00001, 1e-7),  // a stablecoin
        (1e-8, 1e-10),  // a tiny value
        (0, 1),
    ])
    func staysAccurateWhereSumsOfSquaresCancel(level: Double, step: Double) throws {
        var generator = SplitMix(seed: 7)
        let values = (0..<50_000).map { _ in level + step * Double(generator.next() % 1000) / 1000 }
        let expected = try #require(Reference.standardDeviation(values))
        let actual = try #require(RunningStatistics(values).sampleStandardDeviation)
        #expect(abs(actual - expected) <= max(1e-12, 1e-9 * expected))
    }

    @Test func mergingEqualsOnePass() throws {
        var generator = SplitMix(seed: 11)
        let values = (0..<1_001).map { _ in Double(generator.next() % 100_000) / 7 }
        var merged = RunningStatistics(values[..<400])
        merged.merge(RunningStatistics(values[400...]))
        let whole = RunningStatistics(values)
        #expect(merged.count == whole.count)
        let a = try #require(merged.sampleStandardDeviation)
        let b = try #require(whole.sampleStandardDeviation)
        #expect(abs(a - b) <= 1e-12 * b)
    }
}
