import Foundation
import Synchronization

/// The `Retry-After` header (RFC 9110), which an exchange that throttles us and a webhook receiver
/// that is busy both send: seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
public enum RetryAfter {
    /// How long the header asks to wait, at most a day; `nil` when it is neither form.
    public static func parse(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            return .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        // An HTTP date is short ASCII. Anything else never reaches DateFormatter, which traps on
        // some non-ASCII text (a combining mark: found by fuzzing).
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        guard let date = httpDate.withLock({ $0.date(from: text) }) else { return nil }
        return .milliseconds(Int64(min(max(date.timeIntervalSince(now), 0), 86_400) * 1000))
    }

    /// Reads HTTP dates (IMF-fixdate); a formatter is costly to make, and not safe to share
    /// between threads without a lock.
    private static let httpDate = Mutex<DateFormatter>(
        {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            return formatter
        }())
}
