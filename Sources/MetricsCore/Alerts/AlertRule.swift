/// What a subscription watches for on one metric, and how patiently.
///
/// The conditions are defined exactly, so that tests can hold every verdict to a direct
/// computation. Instances may still differ in the last bits of m and D (their sums are added in
/// different orders), so a sample within rounding of the line could be judged differently: which
/// is why the detectors coordinate through the subscription's stored state, not by agreeing.
///
/// Read-only once made: the initializer is where the bounds are checked.
public struct AlertRule: Hashable, Sendable {
    public private(set) var condition: AlertCondition
    /// How many consecutive samples must meet the condition before the alert fires.
    public private(set) var forSamples: Int
    /// How many consecutive samples must miss it before a firing alert resolves: a value hovering
    /// at the line does not flap.
    public private(set) var resolveSamples: Int
    /// After a notification, how long before the next firing of the same subscription is sent.
    public private(set) var cooldownSeconds: Int

    public static let defaultForSamples = 1
    public static let defaultResolveSamples = 5
    public static let defaultCooldownSeconds = 900

    public init(
        _ condition: AlertCondition,
        forSamples: Int = defaultForSamples,
        resolveSamples: Int = defaultResolveSamples,
        cooldownSeconds: Int = defaultCooldownSeconds
    ) throws(AlertRuleError) {
        guard (1...10_000).contains(forSamples) else {
            throw AlertRuleError(field: "rule.for_samples", reason: "must be an integer from 1 to 10000")
        }
        guard (1...10_000).contains(resolveSamples) else {
            throw AlertRuleError(field: "rule.resolve_samples", reason: "must be an integer from 1 to 10000")
        }
        guard (0...604_800).contains(cooldownSeconds) else {
            throw AlertRuleError(field: "rule.cooldown_seconds", reason: "must be an integer from 0 to 604800 (7 days)")
        }
        try condition.validate()
        self.condition = condition
        self.forSamples = forSamples
        self.resolveSamples = resolveSamples
        self.cooldownSeconds = cooldownSeconds
    }
}

public enum AlertCondition: Hashable, Sendable {
    /// The new sample lies at least `k` mean absolute deviations from the mean of the `window`
    /// before it, which holds at least `minSamples` samples and some spread.
    case deviation(k: Double, window: StatisticsWindow, minSamples: Int)
    /// The value is above (or below) a line.
    case threshold(ThresholdSide, Double)
    /// The value has moved by at least `percent` from the oldest sample of the trailing `window`.
    case change(window: StatisticsWindow, percent: Double, direction: ChangeDirection)

    public static let defaultDeviationK = 3.0
    public static let defaultDeviationWindow = StatisticsWindow.oneHour
    public static let defaultMinSamples = 10

    /// The window whose samples the condition reads, if any.
    public var window: StatisticsWindow? {
        switch self {
        case .deviation(_, let window, _), .change(let window, _, _): window
        case .threshold: nil
        }
    }

    func validate() throws(AlertRuleError) {
        switch self {
        case .deviation(let k, _, let minSamples):
            guard k.isFinite, k > 0, k <= 1_000 else {
                throw AlertRuleError(field: "rule.k", reason: "must be a number above 0 and at most 1000")
            }
            guard (2...1_000_000).contains(minSamples) else {
                throw AlertRuleError(field: "rule.min_samples", reason: "must be an integer from 2 to 1000000")
            }
        case .threshold(let side, let line):
            guard line.isFinite else {
                throw AlertRuleError(field: "rule.\(side.rawValue)", reason: "must be a finite number")
            }
        case .change(_, let percent, _):
            guard percent.isFinite, percent > 0, percent <= 1_000_000 else {
                throw AlertRuleError(field: "rule.percent", reason: "must be a number above 0 and at most 1000000")
            }
        }
    }
}

public enum ThresholdSide: String, Hashable, Sendable {
    case above
    case below
}

public enum ChangeDirection: String, CaseIterable, Hashable, Sendable {
    case up
    case down
    case either
}

/// A rule that cannot be used, naming the field to fix.
public struct AlertRuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field's path in the request body, such as `rule.k`.
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field) \(reason)" }
}

/// A condition's verdict on one sample, with the figures that decided it, as events report them.
public struct AlertJudgement: Hashable, Sendable {
    public var holds: Bool
    public var value: Double
    /// Deviation rule: the window's mean (m), mean absolute deviation (D) and sample count.
    public var mean: Double?
    public var deviation: Double?
    public var samples: Int?
    /// Change rule: the window's oldest value and the change from it, in percent.
    public var reference: Double?
    public var changePercent: Double?

    public init(
        holds: Bool, value: Double, mean: Double? = nil, deviation: Double? = nil, samples: Int? = nil,
        reference: Double? = nil, changePercent: Double? = nil
    ) {
        self.holds = holds
        self.value = value
        self.mean = mean
        self.deviation = deviation
        self.samples = samples
        self.reference = reference
        self.changePercent = changePercent
    }
}

extension AlertCondition {
    /// The deviation rule's verdict on `value`, given the window of the samples before it
    /// (already slid to the sample's time, not yet holding it).
    public func judge(_ value: Double, after window: DeviationWindow) -> AlertJudgement {
        judge(value, samples: window.count, meanAndDeviation: window.meanAndDeviation)
    }

    /// The deviation rule's verdict on `value`, given the count, mean and mean absolute deviation
    /// of the window before it.
    public func judge(_ value: Double, samples: Int, meanAndDeviation: (mean: Double, deviation: Double)?) -> AlertJudgement {
        guard case .deviation(let k, _, let minSamples) = self else {
            preconditionFailure("judge(_:samples:meanAndDeviation:) is the deviation rule's")
        }
        guard let (mean, deviation) = meanAndDeviation else {
            return AlertJudgement(holds: false, value: value, samples: 0)
        }
        let holds = samples >= minSamples && deviation > 0 && abs(value - mean) >= k * deviation
        return AlertJudgement(holds: holds, value: value, mean: mean, deviation: deviation, samples: samples)
    }

    /// The threshold and change rules' verdict on `value`; `reference` is the oldest sample of the
    /// change rule's window before this one (`nil`: none, so the change is unknown and does not hold).
    public func judge(_ value: Double, reference: Double? = nil) -> AlertJudgement {
        switch self {
        case .threshold(.above, let line):
            return AlertJudgement(holds: value > line, value: value)
        case .threshold(.below, let line):
            return AlertJudgement(holds: value < line, value: value)
        case .change(_, let percent, let direction):
            guard let reference, reference != 0 else {
                return AlertJudgement(holds: false, value: value, reference: reference)
            }
            let change = (value - reference) / abs(reference) * 100
            let holds =
                switch direction {
                case .up: change >= percent
                case .down: change <= -percent
                case .either: abs(change) >= percent
                }
            return AlertJudgement(holds: holds, value: value, reference: reference, changePercent: change)
        case .deviation:
            preconditionFailure("the deviation rule is judged against its window: judge(_:after:)")
        }
    }
}
