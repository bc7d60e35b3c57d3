/// What is measured about a ticker.
///
/// The raw values are the original API's `metric_type` strings.
public enum MetricType: String, CaseIterable, Codable, Hashable, Comparable, Sendable {
    /// The last trade price, in the quote currency.
    case price
    /// The rolling 24-hour traded volume, in the base asset.
    case volume

    public static func < (lhs: MetricType, rhs: MetricType) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One tracked series: a metric type of one ticker. Unique in the store.
public struct MetricKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let ticker: Ticker
    public let type: MetricType

    public init(ticker: Ticker, type: MetricType) {
        self.ticker = ticker
        self.type = type
    }

    public var description: String { "\(ticker) \(type.rawValue)" }

    public static func < (lhs: MetricKey, rhs: MetricKey) -> Bool {
        (lhs.ticker, lhs.type) < (rhs.ticker, rhs.type)
    }
}

/// A stored series with the identifier the API exposes.
public struct Metric: Identifiable, Hashable, Sendable {
    /// Stable, positive, assigned by the store in creation order.
    public let id: Int64
    public let key: MetricKey

    public init(id: Int64, key: MetricKey) {
        self.id = id
        self.key = key
    }

    public var ticker: Ticker { key.ticker }
    public var type: MetricType { key.type }
}
