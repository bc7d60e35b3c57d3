/// The trailing windows whose statistics are kept ready: `?window=` in the API.
public enum StatisticsWindow: String, CaseIterable, Hashable, Comparable, Sendable {
    case oneHour = "1h"
    /// The original API's only window, and still the default.
    case oneDay = "24h"
    case sevenDays = "7d"

    public static let `default` = StatisticsWindow.oneDay

    public var seconds: Int64 {
        switch self {
        case .oneHour: 3_600
        case .oneDay: 86_400
        case .sevenDays: 604_800
        }
    }

    public var microseconds: Int64 { seconds * 1_000_000 }

    /// The longest window: how much history the statistics keep in memory.
    public static var longest: StatisticsWindow { .sevenDays }

    public static func < (lhs: StatisticsWindow, rhs: StatisticsWindow) -> Bool { lhs.seconds < rhs.seconds }
}

/// What a ranking orders metrics by: `?by=` in the API.
public enum VolatilityMeasure: String, CaseIterable, Hashable, Sendable {
    /// The original's measure, in the metric's own unit.
    case standardDeviation = "stddev"
    /// Standard deviation over mean: comparable between a BTC price and a DOGE price.
    case coefficientOfVariation = "cv"
    /// Standard deviation of consecutive log returns: how much the metric moves step to step.
    case logReturnVolatility = "log_return_volatility"
}
