import MetricsCore
import MetricsStore
import Testing

@testable import Alerting

/// When a failed delivery goes again: backoff doubling from 5 s with jitter, at most an hour,
/// Retry-After honoured, a day of retries, and no retry for answers another try would not change.
@Suite struct DeliveryScheduleTests {
    let now = try! Timestamp(rfc3339: "2026-12-03T08:00:00Z")
    let schedule = DeliverySchedule()

    private func wait(_ outcome: DeliveryAttempt.Outcome) -> Int64? {
        guard case .retry(let time) = outcome else { return nil }
        return time.microsecondsSince1970 - now.microsecondsSince1970
    }

    @Test func backoffDoublesFromFiveSecondsWithJitterUpToAnHour() {
        let day = now.adding(seconds: 86_400)
        for (attempt, full) in [(1, 5.0), (2, 10), (3, 20), (4, 40), (10, 2_560), (11, 3_600), (40, 3_600)] {
            let longest = wait(
                schedule.outcome(of: .failure(retryAfter: nil), attempt: attempt, at: now, retryUntil: day) { $0.upperBound })
            let shortest = wait(
                schedule.outcome(of: .failure(retryAfter: nil), attempt: attempt, at: now, retryUntil: day) { $0.lowerBound })
            #expect(longest == Int64(full * 1_000_000), "attempt \(attempt)")
            #expect(shortest == Int64(full * 500_000), "attempt \(attempt): jitter down to half")
        }
    }

    @Test func retryAfterIsHonouredWithinTheDay() {
        let day = now.adding(seconds: 86_400)
        #expect(wait(schedule.outcome(of: .failure(retryAfter: .seconds(7)), attempt: 1, at: now, retryUntil: day)) == 7_000_000)
        #expect(wait(schedule.outcome(of: .failure(retryAfter: .seconds(7_200)), attempt: 1, at: now, retryUntil: day)) == 7_200_000_000)
        // No sooner than half the backoff: `Retry-After: 0` does not make a retry loop.
        #expect(wait(schedule.outcome(of: .failure(retryAfter: .zero), attempt: 3, at: now, retryUntil: day)) == 10_000_000)
        // Past the day's end: one last try as it ends, then no more.
        let soon = now.adding(seconds: 60)
        #expect(schedule.outcome(of: .failure(retryAfter: .seconds(600)), attempt: 3, at: now, retryUntil: soon) == .retry(at: soon))
        #expect(schedule.outcome(of: .failure(retryAfter: nil), attempt: 3, at: soon, retryUntil: soon) == .dead)
    }

    @Test func successGoneAndRejectedAnswersAreFinal() {
        let day = now.adding(seconds: 86_400)
        #expect(schedule.outcome(of: .success, attempt: 9, at: now, retryUntil: day) == .delivered)
        #expect(schedule.outcome(of: .gone, attempt: 1, at: now, retryUntil: day) == .gone)
        #expect(schedule.outcome(of: .rejected, attempt: 1, at: now, retryUntil: day) == .dead)
    }
}
