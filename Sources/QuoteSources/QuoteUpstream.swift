import MetricsCore

/// An API that answers with current quotes: one exchange's public REST API, a Cryptowatch-compatible
/// endpoint, or the built-in simulation. One adapter per file in this folder.
///
/// An adapter never throws for a whole batch: it answers every ticker it was asked for, each with
/// a quote or the reason there is none, so that one bad market never costs the others their sample.
public protocol QuoteUpstream: Sendable {
    /// The name used in configuration and logs (`kraken`).
    var name: String { get }

    /// Where requests go, for start-up logs.
    var endpointDescription: String { get }

    /// The latest quote for each of `tickers`, with as few requests as the API allows.
    /// `timestamp` is the poll cycle's instant; only the simulation uses it.
    func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>]
}

/// An upstream that can also say what its quotes were in the past, so that a new install starts
/// with a full chart instead of an empty one.
public protocol HistoricalQuoteUpstream: QuoteUpstream {
    /// Quotes for `ticker` at each `step` across `range`, oldest first.
    func history(for ticker: Ticker, in range: TimeRange, step: Duration) async throws(UpstreamError) -> [(Timestamp, Quote)]
}

/// A validated observation of one market: what the poller stores.
///
/// Only finite numbers get here, with a positive price and a non-negative volume; anything else
/// is an ``UpstreamError/invalidValue(field:reason:)`` and is never stored.
public struct Quote: Hashable, Sendable {
    /// Last trade price, in the quote currency.
    public let price: Double
    /// Rolling 24-hour volume, in the base asset.
    public let volume: Double

    public init(price: Double, volume: Double) throws(UpstreamError) {
        guard price.isFinite else { throw .invalidValue(field: "price", reason: "\(price) is not a finite number") }
        guard price > 0 else { throw .invalidValue(field: "price", reason: "\(price) is not a positive price") }
        guard volume.isFinite else { throw .invalidValue(field: "volume", reason: "\(volume) is not a finite number") }
        guard volume >= 0 else { throw .invalidValue(field: "volume", reason: "\(volume) is negative") }
        for (field, value) in [("price", price), ("volume", volume)] where value > Sample.largestValue {
            throw .invalidValue(field: field, reason: "\(value) is beyond any plausible \(field)")
        }
        self.price = price
        self.volume = volume
    }

    public func value(of type: MetricType) -> Double {
        switch type {
        case .price: price
        case .volume: volume
        }
    }
}
