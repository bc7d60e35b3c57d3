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
    public let interval: Duration

    public init(leases: any TickerLeases, holder: LeaseHolder, interval: Duration) {
        self.leases = leases
        self.holder = holder
        self.interval = interval
    }

    /// The markets of `plan` to poll in `slot`, after renewing and claiming this poller's share.
    func share(of markets: [PollPlan.Market], slot: Timestamp) async throws -> [PollPlan.Market] {
        let held = Set(try await leases.share(of: markets.map(\.ticker), for: holder, slot: slot, interval: interval))
        return markets.filter { held.contains($0.ticker) }
    }

    /// Hands every ticker over from the slot after `slot`, the last this poller polled.
    func release(after slot: Timestamp) async throws {
        try await leases.release(holder, from: slot.adding(seconds: interval.seconds))
    }
}
