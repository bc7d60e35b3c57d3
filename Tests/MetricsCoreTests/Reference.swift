import Foundation
import MetricsCore
import Testing

/// The textbook two-pass computations that every served statistic is held to, with compensated
/// sums so that the reference itself loses nothing over millions of values.
enum Reference {
    static func sum(_ values: some Sequence<Double>) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for value in values {
            let total = sum + value
            compensation += abs(sum) >= abs(value) ? (sum - total) + value : (value - total) + sum
            sum = total
        }
        return sum + compensation
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : sum(values) / Double(values.count)
    }

    static func standardDeviation(_ values: [Double]) -> Double? {
        guard values.count >= 2, let mean = mean(values) else { return nil }
        return (sum(values.lazy.map { ($0 - mean) * ($0 - mean) }) / Double(values.count - 1)).squareRoot()
    }

    static func statistics(_ values: [Double]) -> WindowStatistics {
        let deviation = standardDeviation(values)
        let mean = mean(values)
        let returns = zip(values, values.dropFirst()).map { log($1 / $0) }
        let logReturns = values.count >= 3 && values.allSatisfy { $0 > 0 } ? standardDeviation(returns) : nil
        return WindowStatistics(
            count: values.count,
            mean: mean,
            standardDeviation: deviation,
            coefficientOfVariation: deviation.flatMap { deviation in mean.flatMap { $0 == 0 ? nil : deviation / $0 } },
            logReturnVolatility: logReturns
        )
    }
}

/// Within 1e-9 relative, or 1e-12 absolute near zero: the accuracy promised for every statistic.
func expectClose(
    _ actual: Double?, _ expected: Double?, _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) {
    switch (actual, expected) {
    case (nil, nil):
        return
    case (let actual?, let expected?):
        let error = abs(actual - expected)
        #expect(
            error <= max(1e-9 * abs(expected), 1e-12), "\(what()): \(actual) against \(expected)", sourceLocation: sourceLocation)
    default:
        Issue.record("\(what()): \(String(describing: actual)) against \(String(describing: expected))", sourceLocation: sourceLocation)
    }
}

func expectClose(
    _ actual: WindowStatistics, _ expected: WindowStatistics, _ what: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what()): count", sourceLocation: sourceLocation)
    expectClose(actual.mean, expected.mean, "\(what()): mean", sourceLocation: sourceLocation)
    expectClose(actual.standardDeviation, expected.standardDeviation, "\(what()): standard deviation", sourceLocation: sourceLocation)
    expectClose(
        actual.coefficientOfVariation, expected.coefficientOfVariation, "\(what()): coefficient of variation",
        sourceLocation: sourceLocation)
    expectClose(
        actual.logReturnVolatility, expected.logReturnVolatility, "\(what()): log-return volatility", sourceLocation: sourceLocation)
}

/// A small deterministic generator (SplitMix64), so that test data is the same on every run.
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

/// The adversarial series the statistics must stay exact on.
enum SeriesFamily: Int, CaseIterable, Sendable {
    /// A price near 100,000 moving by 0.001.
    case largePriceTinySteps
    /// A stablecoin at 1.00001 moving by 1e-7.
    case stablecoin
    /// Values near 1e-8.
    case tinyValues
    /// The same value throughout: exactly 0, never a tiny negative variance or NaN.
    case constant
    /// A calm series with rare huge spikes, which must leave no trace once they leave the window.
    case spikes
    /// A volume that is sometimes 0, which has no log return.
    case volumeWithZeros

    /// `count` values driven by `steps` in -1...1 (cycled).
    func values(steps: [Double], count: Int) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(count)
        var level: Double
        switch self {
        case .largePriceTinySteps: level = 100_000
        case .stablecoin: level = 1.00001
        case .tinyValues: level = 1e-8
        case .constant: level = 1.00001
        case .spikes: level = 50
        case .volumeWithZeros: level = 3
        }
        for index in 0..<count {
            let step = steps[index % steps.count]
            switch self {
            case .largePriceTinySteps: level += step * 0.001
            case .stablecoin: level += step * 1e-7
            case .tinyValues: level *= 1 + step * 1e-3
            case .constant: break
            case .spikes: level = abs(step) > 0.97 ? 1e12 * abs(step) : 50 + step
            case .volumeWithZeros: level = abs(step) > 0.8 ? 0 : 3 + step
            }
            values.append(level)
        }
        return values
    }
}
