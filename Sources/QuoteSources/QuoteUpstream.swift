import MetricsCore

/// An API that answers with current quotes: one exchange's public REST API, a Cryptowatch-compatible
/// endpoint, or the built-in simulation. One adapter per file in this folder.
///
/// An adapter never throws for a whole batch: it answers every ticker it was asked for, each with
/// a quote or the reason there is none, so that one bad market never costs the others their sample.
/// Retries, pacing to the exchange's rate limit and the cycle's deadline are the HTTP client's
/// business (``UpstreamHTTPClient``), so that adapters only speak their wire format.
public protocol QuoteUpstream: Sendable {
    /// The name used in configuration, logs and stored samples (`kraken`).
    var name: String { get }

    /// Where requests go, for start-up logs.
    var endpointDescription: String { get }

    /// The latest quote for each of `tickers`, with as few requests as the API allows.
    /// `timestamp` is the poll cycle's instant; only the simulation uses it.
    func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>]
}

/// An upstream that can say what a market did in the past, as candles, so that a new install (or
/// one that was down) starts with a full chart instead of an empty one.
public protocol CandleUpstream: QuoteUpstream {
    /// The finished candles of `ticker` whose close times fall in `range`, oldest first, at the
    /// finest resolution the exchange keeps for all of `range`, paging where it caps an answer.
    /// Where the exchange's history does not reach back to `range.from`, the candles it has; a
    /// candle still open at the time of the request is never included.
    func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle]
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
    /// When the exchange says the quote was taken, where its answer says so: checked against the
    /// configured maximum age, so that a frozen feed is not stored as if it were fresh.
    public let observedAt: Timestamp?

    public init(price: Double, volume: Double, observedAt: Timestamp? = nil) throws(UpstreamError) {
        try Self.validate(price, field: "price")
        try Self.validate(volume, field: "volume", allowsZero: true)
        self.price = price
        self.volume = volume
        self.observedAt = observedAt
    }

    /// Refuses what no market can show: non-finite, negative, zero (for prices) or absurdly large.
    static func validate(_ value: Double, field: String, allowsZero: Bool = false) throws(UpstreamError) {
        guard value.isFinite else { throw .invalidValue(field: field, reason: "\(value) is not a finite number") }
        guard value >= 0 else { throw .invalidValue(field: field, reason: "\(value) is negative") }
        guard allowsZero || value > 0 else { throw .invalidValue(field: field, reason: "\(value) is not a positive \(field)") }
        guard value <= Sample.largestValue else { throw .invalidValue(field: field, reason: "\(value) is beyond any plausible \(field)") }
    }

    public func value(of type: MetricType) -> Double {
        switch type {
        case .price: price
        case .volume: volume
        }
    }
}

/// One finished candle of an exchange's price history, validated like a ``Quote``.
public struct Candle: Hashable, Sendable {
    /// When the candle's period began.
    public let openTime: Timestamp
    /// When its period ended: the instant its close price is the last trade price.
    public let closeTime: Timestamp
    /// The last trade price of the period.
    public let close: Double
    /// Base-asset volume traded during the period (not 24 hours).
    public let volume: Double

    public init(openTime: Timestamp, closeTime: Timestamp, close: Double, volume: Double) throws(UpstreamError) {
        guard openTime < closeTime else {
            throw .invalidValue(field: "candle time", reason: "a candle closing at \(closeTime.rfc3339) must open before it")
        }
        try Quote.validate(close, field: "close")
        try Quote.validate(volume, field: "candle volume", allowsZero: true)
        self.openTime = openTime
        self.closeTime = closeTime
        self.close = close
        self.volume = volume
    }

    /// A candle of `period` opening at `openTime`, the way most exchanges label them.
    public init(opening openTime: Timestamp, period: Duration, close: Double, volume: Double) throws(UpstreamError) {
        try self.init(
            openTime: openTime,
            closeTime: openTime.adding(seconds: Double(period.components.seconds)),
            close: close,
            volume: volume
        )
    }
}

/// An exchange's documented limit on public requests from one address: at most `requests` in any
/// `period`. The HTTP client paces requests to keep inside it.
public struct RateLimit: Hashable, Sendable, CustomStringConvertible {
    public let requests: Int
    public let period: Duration

    public init(requests: Int, per period: Duration) {
        precondition(requests > 0 && period > .zero, "a rate limit needs a positive count and period")
        self.requests = requests
        self.period = period
    }

    public var description: String { "\(requests) requests per \(period.seconds.shortDescription) s" }
}
