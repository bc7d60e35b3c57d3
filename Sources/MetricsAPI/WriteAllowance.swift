import MetricsCore
import Synchronization

/// How many writes (subscription changes, redeliveries) one API key may make: `burst` at once, then
/// `perMinute` a minute. Reads are never limited: they are cheap, cached, and what the service is for.
public struct WriteRateLimit: Sendable, Equatable {
    /// Writes a minute once a key's burst is spent; 0 turns the limit off.
    public var perMinute: Int
    /// Writes a key may make at once after a quiet spell.
    public var burst: Int

    /// A configuration mistake, not a runtime condition: the settings reader refuses such values
    /// with the key named, so only code that builds one itself can get here.
    public init(perMinute: Int, burst: Int) {
        precondition((0...1_000_000).contains(perMinute), "a write limit is 0 (off) to 1,000,000 writes a minute, not \(perMinute)")
        precondition(
            perMinute == 0 ? burst >= 0 : (1...1_000_000).contains(burst),
            "a write limit's burst is 1 to 1,000,000 writes (a limit with no burst lets no write through), not \(burst)")
        self.perMinute = perMinute
        self.burst = burst
    }

    public static let `default` = WriteRateLimit(perMinute: 60, burst: 20)
    public static let off = WriteRateLimit(perMinute: 0, burst: 0)

    public var isOff: Bool { perMinute == 0 }
}

/// Each key's allowance of writes, as a token bucket: it holds up to `burst` writes and refills at
/// `perMinute`. A key is only ever charged after it authenticated, so there is one bucket per key
/// in use and a stranger cannot grow the table; buckets that are full again are dropped when it
/// grows.
///
/// Per instance: behind a load balancer a key gets each instance's allowance, which bounds what it
/// can do all the same (instances × limit).
final class WriteAllowance: Sendable {
    private let limit: WriteRateLimit
    private let buckets = Mutex<[Int64: Bucket]>([:])

    /// Counted in whole units, `perMinute` a microsecond and ``unitsPerWrite`` a write, so that
    /// refills are exact: 12 a minute is one write every 5 s to the microsecond.
    private struct Bucket {
        var units: Int64
        var at: Timestamp
    }

    private static let unitsPerWrite: Int64 = 60_000_000

    init(_ limit: WriteRateLimit) {
        self.limit = limit
    }

    /// Takes one write from `key`'s allowance at `now`; when there is none, throws a 429 whose
    /// `Retry-After` says when the next one is back.
    func charge(key: Int64, at now: Timestamp) throws(APIError) {
        guard !limit.isOff else { return }
        let wait: Int64? = buckets.withLock { buckets in
            var bucket = refilled(buckets[key], at: now)
            defer {
                if buckets.count > 4_096 { buckets = buckets.filter { refilled($1, at: now).units < capacity } }
            }
            guard bucket.units >= Self.unitsPerWrite else {
                buckets[key] = bucket
                let missing = Self.unitsPerWrite - bucket.units
                return (missing + Int64(limit.perMinute) - 1) / Int64(limit.perMinute)
            }
            bucket.units -= Self.unitsPerWrite
            buckets[key] = bucket
            return nil
        }
        if let wait {
            let seconds = max(1, (wait + 999_999) / 1_000_000)
            var error = APIError(
                .tooManyRequests,
                "This key has made more than \(limit.burst) writes at once or \(limit.perMinute) a minute; try again in \(seconds) s."
            )
            error.headers[.retryAfter] = "\(seconds)"
            throw error
        }
    }

    private var capacity: Int64 { Int64(max(limit.burst, 1)) * Self.unitsPerWrite }

    /// `bucket` (a full one when there is none yet) with what the time since it was last charged
    /// brought back. A clock that went back brings nothing, rather than taking writes away.
    private func refilled(_ bucket: Bucket?, at now: Timestamp) -> Bucket {
        guard let bucket else { return Bucket(units: capacity, at: now) }
        let elapsed = max(0, now.microsecondsSince1970 - bucket.at.microsecondsSince1970)
        // Past the time it takes to fill from empty, more time changes nothing (and cannot overflow).
        let filling = min(elapsed, capacity / Int64(limit.perMinute) + 1)
        return Bucket(units: min(capacity, bucket.units + filling * Int64(limit.perMinute)), at: max(now, bucket.at))
    }
}
