import MetricsCore

/// One poll cycle as the poller's log reports it, the line a process test reads to know what the
/// poller acknowledged: `cycle 2026-12-03T15:00:01Z: stored 20 samples, 10 tickers ok, 0 failed, 35 ms`.
struct LoggedCycle: Hashable {
    /// The cycle's timestamp, which every sample it stored carries (its slot, when pollers share).
    let timestamp: Timestamp
    let stored: Int
    /// Tickers that no upstream served in this cycle.
    let failed: Int

    /// Every cycle line of `log`, in the order logged.
    static func all(in log: String) -> [LoggedCycle] {
        log.split(separator: "\n").compactMap { line in
            guard let start = line.range(of: "] cycle "),
                let colon = line.range(of: ": stored ", range: start.upperBound..<line.endIndex),
                let timestamp = try? Timestamp(rfc3339: line[start.upperBound..<colon.lowerBound]),
                let stored = Int(line[colon.upperBound...].prefix { $0.isNumber }),
                let ok = line.range(of: " tickers ok, ", range: colon.upperBound..<line.endIndex),
                let failed = Int(line[ok.upperBound...].prefix { $0.isNumber })
            else { return nil }
            return LoggedCycle(timestamp: timestamp, stored: stored, failed: failed)
        }
    }
}
