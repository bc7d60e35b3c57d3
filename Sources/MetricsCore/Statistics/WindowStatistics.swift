import Foundation

/// The statistics served for one metric over one window.
public struct WindowStatistics: Hashable, Sendable {
    /// How many samples the window holds.
    public var count: Int
    /// Arithmetic mean; `nil` for an empty window.
    public var mean: Double?
    /// Sample standard deviation (n − 1), as the original served it; `nil` below two samples.
    public var standardDeviation: Double?
    /// `standardDeviation / mean`; `nil` when either is `nil` or the mean is zero.
    public var coefficientOfVariation: Double?
    /// Sample standard deviation of `ln(v[i] / v[i-1])` over consecutive samples; `nil` below three
    /// samples or when any value is zero or negative (a volume of 0 has no logarithm).
    public var logReturnVolatility: Double?

    public static let empty = WindowStatistics(
        count: 0, mean: nil, standardDeviation: nil, coefficientOfVariation: nil, logReturnVolatility: nil)

    public init(count: Int, mean: Double?, standardDeviation: Double?, coefficientOfVariation: Double?, logReturnVolatility: Double?) {
        self.count = count
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.coefficientOfVariation = coefficientOfVariation
        self.logReturnVolatility = logReturnVolatility
    }

    /// Assembles the statistics from accumulators over shifted values (`value − valueShift`) and over
    /// the log returns, as ``AlignedAccumulator`` keeps them.
    init(values: RunningStatistics, valueShift: Double, returns: RunningStatistics, hasNonPositiveValue: Bool) {
        count = values.count
        let mean = values.count > 0 ? valueShift + values.mean : nil
        let deviation = values.sampleStandardDeviation
        self.mean = mean.map(Self.canonical)
        standardDeviation = deviation.map(Self.canonical)
        if let deviation, let mean, mean != 0 {
            coefficientOfVariation = Self.canonical(deviation / mean)
        } else {
            coefficientOfVariation = nil
        }
        logReturnVolatility = hasNonPositiveValue || values.count < 3 ? nil : returns.sampleStandardDeviation.map(Self.canonical)
    }

    /// `value` rounded to 40 significant bits (about 12 decimal digits, well inside the 1e-9
    /// promised). Instances already agree bit for bit (see ``AlignedAccumulator``); the rounding is
    /// for metrics whose windows hold the same spread reached in a different order (a series and
    /// its shifted copy), whose last digits would otherwise differ and rank them apart.
    static func canonical(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        let dropped: UInt64 = 12
        let rounded = (value.bitPattern &+ (1 << (dropped - 1))) & ~((1 << dropped) - 1)
        return Double(bitPattern: rounded)
    }

    /// The statistics of `values` in one pass, for ranges that are not kept ready (`?from=&to=`).
    /// Accumulates as one block of ``AlignedAccumulator`` does.
    public init(of values: some Collection<Double>) {
        let shift = values.first ?? 0
        var shifted = RunningStatistics()
        var returns = RunningStatistics()
        var nonPositive = false
        var previous: Double?
        for value in values {
            shifted.add(value - shift)
            if value <= 0 { nonPositive = true }
            if let previous { returns.add(LogReturn.between(previous, value)) }
            previous = value
        }
        self.init(values: shifted, valueShift: shift, returns: returns, hasNonPositiveValue: nonPositive)
    }

    public func value(of measure: VolatilityMeasure) -> Double? {
        switch measure {
        case .standardDeviation: standardDeviation
        case .coefficientOfVariation: coefficientOfVariation
        case .logReturnVolatility: logReturnVolatility
        }
    }
}

enum LogReturn {
    /// `ln(current / previous)`, or 0 where it is undefined; a window holding such a value reports no
    /// log-return volatility at all, so the placeholder is never served.
    @inline(__always)
    static func between(_ previous: Double, _ current: Double) -> Double {
        previous > 0 && current > 0 ? log(current / previous) : 0
    }
}
