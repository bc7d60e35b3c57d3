import MetricsCore
import MetricsStore

/// How a poller shares the tickers of its plan with the other pollers of one database: through
/// the store's leases (``TickerLeases``), renewed before every cycle.
///
/// Pollers that share also keep one grid of slots: each cycle starts at, and stamps its samples
/// with, a whole multiple of the interval since the epoch. A ticker polled twice in one slot (two
/// pollers both believing they hold it) would then meet the first sample at the same instant, and
/// show as a conflict instead of passing unseen.
public struct TickerSharing: Sendable {
    public let leases: any TickerLeases
    public let holder: LeaseHolder
    /// How long a lease lasts past its renewal: one and a half intervals, so that a poller renewing
    /// every cycle never loses one, and the tickers of a poller that died are taken over in the
    /// second slot after its last cycle.
    public let leaseDuration: Duration

    public init(leases: any TickerLeases, holder: LeaseHolder, interval: Duration) {
        self.leases = leases
        self.holder = holder
        leaseDuration = interval * 1.5
    }

    /// The markets of `plan` this poller holds now, after renewing and claiming its share.
    func share(of markets: [PollPlan.Market]) async throws -> [PollPlan.Market] {
        let held = Set(try await leases.share(of: markets.map(\.ticker), for: holder, leaseDuration: leaseDuration))
        return markets.filter { held.contains($0.ticker) }
    }
}
