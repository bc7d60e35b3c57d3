import Logging
import MetricsCore
import MetricsStore
import PostgresNIO
import PostgresStore
import TestSupport
import Testing

/// Pollers sharing one database's tickers through leases: fair shares, hand-over when one joins,
/// stops or dies, and never one ticker held twice. A dead poller is simulated by moving its
/// lease's expiry into the past, so no test waits for a clock.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresLeaseTests {
    private let logger = Logger(label: "test")
    private let tickers = (0..<200).map { try! Ticker(parsing: String(format: "KRAKEN:C%03dUSD", $0)) }
    private let long = Duration.seconds(3_600)

    private func holder(_ name: String) -> LeaseHolder { LeaseHolder(id: "id-\(name)", name: name) }

    private func withLeases(_ body: (PostgresMetricStore, PostgresLocation) async throws -> Void) async throws {
        try await TestPostgres.withSchema { location in
            try await PostgresMetricStore.withStore(at: location, maximumConnections: 8, logger: logger) { store in
                try await body(store, location)
            }
        }
    }

    @Test func aPollerThatJoinsGetsHalfOnceTheFirstHasRenewed() async throws {
        try await withLeases { store, _ in
            let a = holder("a")
            let b = holder("b")
            #expect(try await store.share(of: tickers, for: a, leaseDuration: long) == tickers)
            #expect(try await store.share(of: tickers, for: b, leaseDuration: long).isEmpty, "a's leases are live")
            let keptByA = try await store.share(of: tickers, for: a, leaseDuration: long)
            #expect(keptByA == Array(tickers[..<100]))
            let takenByB = try await store.share(of: tickers, for: b, leaseDuration: long)
            #expect(takenByB == Array(tickers[100...]))
            let holders = try await store.leaseHolders()
            #expect(holders.map(\.holder) == [a, b])
            #expect(holders.map(\.tickers.count) == [100, 100])
        }
    }

    @Test func theTickersOfAPollerThatDiedPassToTheOthersWhenItsLeasesExpire() async throws {
        try await withLeases { store, location in
            let a = holder("a")
            let b = holder("b")
            _ = try await store.share(of: tickers, for: a, leaseDuration: long)
            _ = try await store.share(of: tickers, for: b, leaseDuration: long)
            _ = try await store.share(of: tickers, for: a, leaseDuration: long)
            #expect(try await store.share(of: tickers, for: b, leaseDuration: long).count == 100)
            // a stops renewing: its leases and its heartbeat run out together.
            try await TestPostgres.withConnection(to: location) { connection in
                try await connection.query(
                    "UPDATE ticker_lease SET expires_at = now() - interval '1 second' WHERE holder = \(a.id)", logger: logger)
                try await connection.query("UPDATE poller SET expires_at = now() - interval '1 second' WHERE id = \(a.id)", logger: logger)
            }
            #expect(try await store.share(of: tickers, for: b, leaseDuration: long) == tickers)
            #expect(try await store.leaseHolders().map(\.holder) == [b])
            // a comes back: it holds nothing it had, and gets its share once b has renewed.
            #expect(try await store.share(of: tickers, for: a, leaseDuration: long).isEmpty)
            #expect(try await store.share(of: tickers, for: b, leaseDuration: long).count == 100)
            #expect(try await store.share(of: tickers, for: a, leaseDuration: long).count == 100)
        }
    }

    @Test func aCleanStopHandsTheTickersOverAtOnce() async throws {
        try await withLeases { store, _ in
            let a = holder("a")
            let b = holder("b")
            _ = try await store.share(of: tickers, for: a, leaseDuration: long)
            _ = try await store.share(of: tickers, for: b, leaseDuration: long)
            _ = try await store.share(of: tickers, for: a, leaseDuration: long)
            _ = try await store.share(of: tickers, for: b, leaseDuration: long)
            try await store.release(a)
            #expect(try await store.share(of: tickers, for: b, leaseDuration: long) == tickers)
            let holders = try await store.leaseHolders()
            #expect(holders.map(\.holder) == [b])
            #expect(holders.first?.tickers == tickers)
        }
    }

    /// Four pollers renewing at the same moments, round after round: whatever order their
    /// transactions take, no ticker is ever held by two, and by the third round each holds 50.
    @Test func pollersClaimingAtOnceNeverHoldATickerTwiceAndEndBalanced() async throws {
        try await withLeases { store, _ in
            let holders = ["a", "b", "c", "d"].map(holder)
            var shares: [LeaseHolder: [Ticker]] = [:]
            for round in 1...4 {
                shares = try await withThrowingTaskGroup(of: (LeaseHolder, [Ticker]).self) { group in
                    for holder in holders {
                        group.addTask { (holder, try await store.share(of: tickers, for: holder, leaseDuration: long)) }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
                let all = shares.values.flatMap { $0 }
                #expect(Set(all).count == all.count, "round \(round): a ticker is held twice")
            }
            #expect(shares.values.map(\.count).sorted() == [50, 50, 50, 50])
            #expect(Set(shares.values.flatMap { $0 }) == Set(tickers))
        }
    }

    @Test func aTickerNoLongerConfiguredIsGivenUp() async throws {
        try await withLeases { store, _ in
            let a = holder("a")
            _ = try await store.share(of: tickers, for: a, leaseDuration: long)
            #expect(try await store.share(of: Array(tickers[..<10]), for: a, leaseDuration: long) == Array(tickers[..<10]))
            #expect(try await store.leaseHolders().first?.tickers == Array(tickers[..<10]))
        }
    }
}
