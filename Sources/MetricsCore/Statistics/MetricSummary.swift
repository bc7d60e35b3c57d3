/// One metric at a glance, as the dashboard's overview lists it: its newest value, how much it
/// moved over the last hour and day, its statistics and rank over a window, and a sparkline.
public struct MetricSummary: Sendable {
    public let metric: Metric
    /// The newest sample held (within the longest window), `nil` when none is.
    public let latest: Sample?
    /// The change from the newest sample at or before an hour ago to ``latest``, in percent; `nil`
    /// when no sample is that old or it was 0.
    public let changeOverHour: Double?
    /// The same over a day.
    public let changeOverDay: Double?
    public let window: StatisticsWindow
    public let statistics: WindowStatistics
    /// Among metrics of the same type, by standard deviation ascending, as `GET /metrics/{id}`.
    public let rank: Rank?
    /// The window's history at evenly spaced times, oldest first: at each of ``sparklinePoints``
    /// moments the newest sample at or before it, skipping moments that hold no new sample.
    public let sparkline: [Double]

    public static let sparklinePoints = 24
}

extension StatisticsBook {
    /// The summary of metric `id` over `window`, as of the last advance; `nil` for an unknown id.
    public func summary(of id: Int64, window: StatisticsWindow) -> MetricSummary? {
        guard let report = report(of: id, window: window), let held = heldSamples(of: id) else { return nil }
        let latest = held.isEmpty ? nil : held[held.count - 1]
        let end = now?.microsecondsSince1970 ?? latest?.timestamp.microsecondsSince1970 ?? 0
        func change(over seconds: Int64) -> Double? {
            guard let latest, let before = held.newest(atOrBefore: end - seconds * 1_000_000), before.value != 0 else {
                return nil
            }
            return (latest.value - before.value) / abs(before.value) * 100
        }
        var sparkline: [Double] = []
        let history = report.history
        if !history.isEmpty {
            let points = Int64(MetricSummary.sparklinePoints)
            let start = end - window.microseconds
            var previous = -1
            for point in 1...points {
                let moment = start + window.microseconds * point / points
                let offset = history.timestamps.partitionPoint { $0 > moment } - history.timestamps.startIndex - 1
                guard offset >= 0, offset != previous else { continue }
                sparkline.append(history.values[history.values.startIndex + offset])
                previous = offset
            }
        }
        return MetricSummary(
            metric: report.metric, latest: latest, changeOverHour: change(over: 3_600), changeOverDay: change(over: 86_400),
            window: window, statistics: report.statistics, rank: report.rank, sparkline: sparkline)
    }
}

extension SampleHistory {
    /// The newest sample at or before `microseconds`, if any.
    func newest(atOrBefore microseconds: Int64) -> Sample? {
        let offset = timestamps.partitionPoint { $0 > microseconds } - timestamps.startIndex - 1
        return offset >= 0 ? self[offset] : nil
    }
}
