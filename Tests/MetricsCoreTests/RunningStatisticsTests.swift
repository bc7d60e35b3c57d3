import MetricsCore
import Testing

/// The textbook two-pass computation, the reference every served deviation is held to.
func twoPassSampleStandardDeviation(_ values: [Double]) -> Double? {
    guard values.count >= 2 else { return nil }
    let mean = values.reduce(0, +) / Double(values.count)
    let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (squares / Double(values.count - 1)).squareRoot()
}

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
        let expected = try #require(twoPassSampleStandardDeviation(values))
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

/// A small deterministic generator, so that test data is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
