import MetricsCore

/// Shares the tickers of one database among the pollers that write it, so that several
/// `cryptometrics poll` processes each poll a part instead of all of them polling everything.
///
/// A store that has it (PostgreSQL) keeps one lease per ticker in the database. Leases are counted
/// in slots, not read off a clock: pollers that share keep one grid of slots (whole multiples of
/// the interval since the epoch), and a lease holds through given slots. A poller calls
/// ``share(of:for:slot:interval:)`` at the start of every slot and polls exactly what it returns.
/// So a ticker changes hands between two slots, never inside one: no slot is polled twice, and a
/// hand-over between live pollers misses none.
public protocol TickerLeases: Sendable {
    /// At the start of `slot`: renews `holder`'s leases among `tickers` through the next slot
    /// (one and a half intervals), and claims free ones up to its fair part (an equal share among
    /// the pollers alive, rounded up). Tickers beyond that part are returned for this slot still
    /// and free from the next, for another poller to take then. Returns the tickers to poll in
    /// `slot`, sorted.
    ///
    /// A poller that dies (`kill -9`) stops renewing: its tickers are free from the second slot
    /// after its last call, so they miss at most that slot and the one it died in.
    func share(of tickers: [Ticker], for holder: LeaseHolder, slot: Timestamp, interval: Duration) async throws -> [Ticker]

    /// Gives up every lease of `holder` from `slot` on, and forgets it, for a clean stop: other
    /// pollers take its tickers in that slot.
    func release(_ holder: LeaseHolder, from slot: Timestamp) async throws

    /// Every poller alive at `slot` and the tickers it holds, for `/status`.
    func leaseHolders(at slot: Timestamp) async throws -> [LeaseHolderStatus]
}

/// One poller process, as the leases name it.
public struct LeaseHolder: Hashable, Sendable, CustomStringConvertible {
    /// Unique per process start.
    public let id: String
    /// For people: host and process id.
    public let name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    public var description: String { "\(name) (\(id))" }
}

/// What a poller holds, as the database knows it.
public struct LeaseHolderStatus: Hashable, Sendable {
    public let holder: LeaseHolder
    /// The slot it last renewed at.
    public let seenAt: Timestamp
    /// The slot from which its leases are free unless it renews.
    public let expiresAt: Timestamp
    public let tickers: [Ticker]

    public init(holder: LeaseHolder, seenAt: Timestamp, expiresAt: Timestamp, tickers: [Ticker]) {
        self.holder = holder
        self.seenAt = seenAt
        self.expiresAt = expiresAt
        self.tickers = tickers
    }
}
