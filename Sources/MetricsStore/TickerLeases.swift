import MetricsCore

/// Shares the tickers of one database among the pollers that write it, so that several
/// `cryptometrics poll` processes each poll a part instead of all of them polling everything.
///
/// A store that has it (PostgreSQL) keeps one lease per ticker in the database. A poller calls
/// ``share(of:for:leaseDuration:)`` before every cycle and polls only what it returns: its leases
/// renewed, its fair part of the free and expired ones claimed, its excess given up. A lease lasts
/// `leaseDuration` past the poller's last call, so a poller that dies (`kill -9`) loses its tickers
/// to the others once that has passed, and one that stops cleanly hands them over at once.
public protocol TickerLeases: Sendable {
    /// Renews `holder`'s leases among `tickers`, gives up those beyond its fair part (an equal
    /// share among the pollers alive, rounded up) or no longer in `tickers`, claims free or expired
    /// ones up to that part, and returns the tickers it holds now, sorted.
    func share(of tickers: [Ticker], for holder: LeaseHolder, leaseDuration: Duration) async throws -> [Ticker]

    /// Gives up every lease of `holder` and forgets it, for a clean stop.
    func release(_ holder: LeaseHolder) async throws

    /// Every poller alive and the tickers it holds, for `/status`.
    func leaseHolders() async throws -> [LeaseHolderStatus]
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
    /// When the poller last renewed.
    public let seenAt: Timestamp
    /// When its leases run out unless it renews.
    public let expiresAt: Timestamp
    public let tickers: [Ticker]

    public init(holder: LeaseHolder, seenAt: Timestamp, expiresAt: Timestamp, tickers: [Ticker]) {
        self.holder = holder
        self.seenAt = seenAt
        self.expiresAt = expiresAt
        self.tickers = tickers
    }
}
