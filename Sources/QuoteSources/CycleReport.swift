import MetricsCore

/// What one poll cycle did: logged as one line, and returned to tests.
public struct CycleReport: Sendable {
    /// The one timestamp every sample of the cycle carries.
    public let timestamp: Timestamp
    /// Quotes received, with the upstream that served each.
    public let quotes: [Ticker: (quote: Quote, upstream: String)]
    /// Every failed attempt, with each upstream's reason in the order tried, including those of
    /// tickers a fallback then served: each is logged with its ticker, upstream and reason.
    public let rejections: [Ticker: [(upstream: String, error: UpstreamError)]]
    /// Tickers no upstream could serve, with each upstream's reason in the order tried.
    public var failures: [Ticker: [(upstream: String, error: UpstreamError)]] {
        rejections.filter { quotes[$0.key] == nil }
    }
    /// Samples stored.
    public let stored: Int
    /// Set when the quotes could not be stored.
    public let storeError: String?
    /// The cycle's values when they could not be stored, to store later.
    public let unstored: [MetricKey: SampleValue]?
    /// Stretches this cycle found a ticker unserved for longer than the gap threshold, which the
    /// backfill fills from candles.
    public let gaps: [BackfillGap]
    public let duration: Duration

    /// True when not a single upstream answered for any ticker.
    public var nothingAnswered: Bool { quotes.isEmpty && !failures.isEmpty }
}

/// A stretch of a ticker's history with no samples: the open range between the last sample
/// before it and the first after it (or now).
public struct BackfillGap: Hashable, Sendable, CustomStringConvertible {
    public let ticker: Ticker
    public let range: TimeRange

    public init(ticker: Ticker, range: TimeRange) {
        self.ticker = ticker
        self.range = range
    }

    public var description: String { "\(ticker) \(range)" }
}
