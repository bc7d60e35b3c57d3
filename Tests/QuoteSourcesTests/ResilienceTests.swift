import Foundation
import MetricsCore
import Testing

@testable import QuoteSources

/// The pure parts of surviving upstreams: pacing, backoff, the breaker's states, `Retry-After`.
@Suite struct ResilienceTests {
    let start = ContinuousClock.now

    @Test func thePacerAllowsABurstThenSpacesRequestsAtTheLimit() {
        let pacer = RequestPacer(limit: RateLimit(requests: 4, per: .seconds(1)))
        let far = start + .seconds(60)
        let slots = (0..<8).map { _ in pacer.reserve(now: start, notAfter: far)! }
        #expect(slots.prefix(4).allSatisfy { $0 == start }, "a burst of the limit's count goes at once")
        #expect(slots[4] - start == .seconds(1), "the fifth waits until the first is a second old")
        #expect(slots[7] - start == .seconds(1))
        // Never more than 4 in any second.
        for index in 4..<slots.count {
            #expect(slots[index] - slots[index - 4] >= .seconds(1))
        }
    }

    @Test func aSlotAfterTheDeadlineIsNotReserved() {
        let pacer = RequestPacer(limit: RateLimit(requests: 1, per: .seconds(1)))
        #expect(pacer.reserve(now: start, notAfter: start + .seconds(5)) == start)
        #expect(pacer.reserve(now: start, notAfter: start + .milliseconds(500)) == nil, "the next slot is a second away")
        // The refusal reserved nothing: the next request still gets the slot a second away.
        #expect(pacer.reserve(now: start, notAfter: start + .seconds(5)) == start + .seconds(1))
    }

    @Test func retryAfterHoldsEveryRequestBack() {
        let pacer = RequestPacer(limit: RateLimit(requests: 10, per: .seconds(1)))
        pacer.pause(until: start + .seconds(30))
        #expect(pacer.pausedUntil(now: start) == start + .seconds(30))
        #expect(pacer.reserve(now: start, notAfter: start + .seconds(10)) == nil)
        #expect(pacer.reserve(now: start, notAfter: start + .seconds(30)) == start + .seconds(30), "the first slot is when the pause ends")
        #expect(pacer.reserve(now: start + .seconds(31), notAfter: start + .seconds(40)) == start + .seconds(31))
    }

    @Test func aPauseIsVisibleToRequestsAlreadyHoldingASlot() {
        let pacer = RequestPacer(limit: RateLimit(requests: 1, per: .seconds(1)))
        _ = pacer.reserve(now: start, notAfter: start + .seconds(10))
        let queued = pacer.reserve(now: start, notAfter: start + .seconds(10))
        #expect(queued == start + .seconds(1))
        #expect(pacer.pausedUntil(now: start) == nil)
        // A 429 arrives while the second request sleeps until its slot: when it wakes, it sees
        // the pause and waits it out (UpstreamHTTPClient looks again after every wait).
        pacer.pause(until: start + .seconds(5))
        #expect(pacer.pausedUntil(now: start + .seconds(1)) == start + .seconds(5))
        #expect(pacer.pausedUntil(now: start + .seconds(5)) == nil, "over once its instant has come")
    }

    @Test func backoffDoublesUpToItsCapWithFullJitter() {
        let policy = RetryPolicy(maximumRetries: 5, baseDelay: .milliseconds(100), maximumDelay: .milliseconds(700))
        #expect(
            (1...5).map { policy.ceiling(forRetry: $0) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(700), .milliseconds(700),
            ])
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<200).map { _ in policy.delay(forRetry: 3, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(Set(delays).count > 150, "jittered, not one fixed wait")
    }

    @Test func onlyFailuresThatMayPassAreRetried() {
        #expect(RetryPolicy.isRetryable(.timedOut(seconds: 1)))
        #expect(RetryPolicy.isRetryable(.unreachable("reset")))
        #expect(RetryPolicy.isRetryable(.httpStatus(503, body: "")))
        #expect(RetryPolicy.isRetryable(.rateLimited(retryAfterSeconds: 1)))
        #expect(!RetryPolicy.isRetryable(.httpStatus(404, body: "")))
        #expect(!RetryPolicy.isRetryable(.malformedBody("html")))
        #expect(!RetryPolicy.isRetryable(.unknownPair("FOOUSD")))
    }

    @Test func readsRetryAfterInBothForms() {
        #expect(RetryAfter.parse("7") == .seconds(7))
        #expect(RetryAfter.parse(" 0.5 ") == .milliseconds(500))
        #expect(RetryAfter.parse("Thu, 01 Jan 1970 00:00:00 GMT") == .zero, "a date in the past means now")
        let inAMinute = RetryAfter.parse(Self.httpDate(secondsFromNow: 60))
        #expect(inAMinute.map { $0 > .seconds(55) && $0 <= .seconds(60) } == true)
        #expect(RetryAfter.parse("soon") == nil)
        #expect(RetryAfter.parse("-3") == nil)
    }

    private static func httpDate(secondsFromNow: Double) -> String {
        let formatter = Foundation.DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date().addingTimeInterval(secondsFromNow))
    }

    @Test func theBreakerOpensAfterRepeatedFailuresProbesAndCloses() throws {
        // The breaker keeps the poller's time, the clock that stamps samples.
        let start = try Timestamp(rfc3339: "2026-11-25T12:00:00Z")
        func at(_ seconds: Double) -> Timestamp { start.adding(seconds: seconds) }
        var breaker = CircuitBreaker(
            configuration: .init(failureThreshold: 3, openDuration: .seconds(10), maximumOpenDuration: .seconds(25)))
        for _ in 0..<2 { breaker.recordFailure(now: at(0)) }
        #expect(breaker.state == .closed)
        breaker.recordSuccess()
        for _ in 0..<2 { breaker.recordFailure(now: at(0)) }
        #expect(breaker.state == .closed, "a success in between starts the count again")
        breaker.recordFailure(now: at(0))
        #expect(breaker.state == .open)
        let early = breaker.allowsRequest(now: at(9))
        #expect(!early)
        let probe = breaker.allowsRequest(now: at(10))
        #expect(probe, "the probe")
        #expect(breaker.state == .halfOpen)

        breaker.recordFailure(now: at(10))
        #expect(breaker.state == .open)
        #expect(breaker.probeAt == at(30), "a failed probe doubles the pause")
        let second = breaker.allowsRequest(now: at(30))
        #expect(second)
        breaker.recordFailure(now: at(30))
        #expect(breaker.probeAt == at(55), "up to the maximum")

        let third = breaker.allowsRequest(now: at(55))
        #expect(third)
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        for _ in 0..<3 { breaker.recordFailure(now: at(60)) }
        #expect(breaker.probeAt == at(70), "after closing, the pause starts short again")
    }
}
