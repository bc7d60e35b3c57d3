import MetricsCore
import Testing

@testable import MetricsAPI

/// Each key's allowance of writes: a burst, then a steady rate, refilled by the clock alone.
@Suite struct WriteAllowanceTests {
    private let start = try! Timestamp(rfc3339: "2026-12-03T12:00:00Z")

    /// The `Retry-After` of a refused write, or `nil` when it was allowed.
    private func retryAfter(_ allowance: WriteAllowance, key: Int64 = 1, at time: Timestamp) -> String? {
        do {
            try allowance.charge(key: key, at: time)
            return nil
        } catch {
            #expect(error.status == .tooManyRequests)
            return error.headers[.retryAfter]
        }
    }

    @Test func aBurstThenOneWritePerIntervalAsTheClockMoves() {
        let allowance = WriteAllowance(WriteRateLimit(perMinute: 12, burst: 2))
        #expect(retryAfter(allowance, at: start) == nil)
        #expect(retryAfter(allowance, at: start) == nil)
        #expect(retryAfter(allowance, at: start) == "5", "12 a minute: one every 5 s")
        #expect(retryAfter(allowance, at: start.adding(seconds: 4)) == "1", "4 of the 5 s have passed")
        #expect(retryAfter(allowance, at: start.adding(seconds: 5)) == nil)
        #expect(retryAfter(allowance, at: start.adding(seconds: 5)) == "5")
        // A long quiet spell refills the burst, and no more.
        let later = start.adding(seconds: 3_600)
        #expect(retryAfter(allowance, at: later) == nil)
        #expect(retryAfter(allowance, at: later) == nil)
        #expect(retryAfter(allowance, at: later) == "5")
    }

    @Test func keysDoNotShareAndAClockThatGoesBackRefillsNothing() {
        let allowance = WriteAllowance(WriteRateLimit(perMinute: 60, burst: 1))
        #expect(retryAfter(allowance, key: 1, at: start) == nil)
        #expect(retryAfter(allowance, key: 2, at: start) == nil)
        #expect(retryAfter(allowance, key: 1, at: start.adding(seconds: -30)) == "1")
        #expect(retryAfter(allowance, key: 1, at: start.adding(seconds: 1)) == nil)
    }

    @Test func noLimitWhenOff() {
        let allowance = WriteAllowance(.off)
        for _ in 0..<1_000 { #expect(retryAfter(allowance, at: start) == nil) }
    }
}
