import Logging
import MetricsCore
import MetricsStore
import PostgresNIO
import PostgresStore
import TestSupport
import Testing

/// Pollers sharing one database's tickers through leases counted in slots: fair shares,
/// hand-overs when one joins or stops that miss no slot, a dead poller's tickers taken in the
/// second slot after its last, and never one ticker polled twice in a slot. Each test names its
/// slots, so none waits for a clock.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresLeaseTests {
    private let logger = Logger(label: "test")
    private let tickers = (0..<200).map { try! Ticker(parsing: String(format: "KRAKEN:C%03dUSD", $0)) }
    private let interval = Duration.seconds(10)

    private func holder(_ name: String) -> LeaseHolder { LeaseHolder(id: "id-\(name)", name: name) }

    /// The instant of slot `number` of the grid.
    private func slot(_ number: Int) -> Timestamp { Timestamp(secondsSince1970: 1_800_000_000 + Int64(number) * 10) }

    private func withLeases(_ body: (PostgresMetricStore) async throws -> Void) async throws {
        try await TestPostgres.withSchema { location in
            try await PostgresMetricStore.withStore(at: location, maximumConnections: 8, logger: logger) { store in
                try await body(store)
            }
        }
    }

    /// What each of `holders` polls in slot `number`, asked in that order.
    private func shares(_ store: PostgresMetricStore, _ holders: [LeaseHolder], at number: Int) async throws -> [[Ticker]] {
        var shares: [[Ticker]] = []
        for holder in holders {
            shares.append(try await store.share(of: tickers, for: holder, slot: slot(number), interval: interval))
        }
        return shares
    }

    /// Every ticker polled by exactly one of `shares`.
    private func coverExactlyOnce(_ shares: [[Ticker]]) -> Bool {
        let all = shares.flatMap { $0 }
        return all.count == tickers.count && Set(all) == Set(tickers)
    }

    @Test(arguments: [false, true])
    func aPollerThatJoinsTakesHalfWithoutASlotMissedOrPolledTwice(joinerAsksFirst: Bool) async throws {
        try await withLeases { store in
            let a = holder("a")
            let b = holder("b")
            #expect(try await shares(store, [a], at: 0) == [tickers])
            // b joins: a still polls everything in this slot and the next, handing half over.
            #expect(try await shares(store, [a, b], at: 1) == [tickers, []])
            let order = joinerAsksFirst ? [b, a] : [a, b]
            let second = try await shares(store, order, at: 2)
            #expect(coverExactlyOnce(second))
            let third = try await shares(store, [a, b], at: 3)
            #expect(third == [Array(tickers[..<100]), Array(tickers[100...])])
            let holders = try await store.leaseHolders(at: slot(3))
            #expect(holders.map(\.holder) == [a, b])
            #expect(holders.map(\.tickers.count) == [100, 100])
        }
    }

    @Test func theTickersOfAPollerThatDiedAreTakenInTheSecondSlotAfterItsLast() async throws {
        try await withLeases { store in
            let a = holder("a")
            let b = holder("b")
            for number in 0...3 { _ = try await shares(store, [a, b], at: number) }
            // a's last call was slot 3: b keeps its half in slot 4, then takes everything in 5.
            let fourth = try await shares(store, [b], at: 4)
            #expect(fourth[0].count == 100)
            #expect(try await shares(store, [b], at: 5) == [tickers])
            #expect(try await store.leaseHolders(at: slot(5)).map(\.holder) == [b])
            // a comes back: it gets its half without a slot missed or polled twice.
            for number in 6...8 {
                #expect(coverExactlyOnce(try await shares(store, [a, b], at: number)), "slot \(number)")
            }
            #expect(try await shares(store, [a, b], at: 9).map(\.count) == [100, 100])
        }
    }

    @Test func aCleanStopHandsTheTickersOverInTheNextSlot() async throws {
        try await withLeases { store in
            let a = holder("a")
            let b = holder("b")
            for number in 0...3 { _ = try await shares(store, [a, b], at: number) }
            try await store.release(a, from: slot(4))
            #expect(try await shares(store, [b], at: 4) == [tickers])
            let holders = try await store.leaseHolders(at: slot(4))
            #expect(holders.map(\.holder) == [b])
            #expect(holders.first?.tickers == tickers)
        }
    }

    /// Four pollers renewing at the same moments, slot after slot: whatever order their
    /// transactions take, no ticker is ever polled twice in a slot; from the fourth slot every
    /// ticker is polled once, and each poller holds 50.
    @Test func pollersClaimingAtOnceNeverPollATickerTwiceAndEndBalanced() async throws {
        try await withLeases { store in
            let holders = ["a", "b", "c", "d"].map(holder)
            var shares: [LeaseHolder: [Ticker]] = [:]
            for number in 0...6 {
                shares = try await withThrowingTaskGroup(of: (LeaseHolder, [Ticker]).self) { group in
                    for holder in holders {
                        group.addTask {
                            (holder, try await store.share(of: tickers, for: holder, slot: slot(number), interval: interval))
                        }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
                let all = shares.values.flatMap { $0 }
                #expect(Set(all).count == all.count, "slot \(number): a ticker polled twice")
                if number >= 3 { #expect(Set(all) == Set(tickers), "slot \(number): a ticker not polled") }
            }
            #expect(shares.values.map(\.count).sorted() == [50, 50, 50, 50])
        }
    }

    @Test func aTickerNoLongerConfiguredIsGivenUp() async throws {
        try await withLeases { store in
            let a = holder("a")
            _ = try await shares(store, [a], at: 0)
            let fewer = Array(tickers[..<10])
            #expect(try await store.share(of: fewer, for: a, slot: slot(1), interval: interval) == fewer)
            #expect(try await store.leaseHolders(at: slot(1)).first?.tickers == fewer)
        }
    }
}
