import MetricsCore

/// One request's share of a paged candle history: the open times of its first and last candle,
/// both included.
struct CandlePage: Hashable, Sendable, CustomStringConvertible {
    let firstOpen: Timestamp
    let lastOpen: Timestamp

    var description: String { "\(firstOpen.rfc3339) ... \(lastOpen.rfc3339)" }
}

/// Plans and finishes the candle requests of exchanges that cap how many candles one answer holds.
///
/// Exchanges label candles by their open time and take open times as paging bounds, while callers
/// ask by close time (``CandleUpstream``), so the plan converts: a candle of period `p` closing in
/// `range` opens in `range - p`.
enum CandlePages {
    /// The most requests one history may take. A 48-hour history of minute candles takes 10 pages of
    /// 300 (Coinbase) or 3 of 1,000 (Binance, Bitstamp); the cap only guards against a caller asking
    /// for weeks, which would otherwise cost hundreds of requests against the exchange's rate limit.
    static let maximumPages = 20

    /// The pages that cover every finished candle of `period` whose close time is in `range`, oldest
    /// first, each at most `rowsPerPage` candles, assuming the exchange aligns candles to whole
    /// multiples of `period` since 1970 (all of ours do). Candles still open at `now` are not asked
    /// for. Pages are cut from the newest candle back, so that only the oldest page is partial and,
    /// beyond ``maximumPages``, the oldest candles are the ones left out: the recent past matters more.
    static func plan(closingIn range: TimeRange, now: Timestamp, period: Duration, rowsPerPage: Int) -> [CandlePage] {
        precondition(rowsPerPage > 0, "a page holds at least one candle")
        let step = period.microseconds
        precondition(step > 0, "a candle period is at least a second")
        let lastClose = min(range.through, now).roundedDown(toMultipleOf: period).microsecondsSince1970
        let flooredFrom = range.from.roundedDown(toMultipleOf: period).microsecondsSince1970
        let firstClose = flooredFrom == range.from.microsecondsSince1970 ? flooredFrom : flooredFrom + step
        guard firstClose <= lastClose else { return [] }
        let firstOpen = firstClose - step
        var pages: [CandlePage] = []
        var end = lastClose - step
        while end >= firstOpen && pages.count < maximumPages {
            let start = max(end - Int64(rowsPerPage - 1) * step, firstOpen)
            pages.append(CandlePage(firstOpen: Timestamp(microsecondsSince1970: start), lastOpen: Timestamp(microsecondsSince1970: end)))
            end = start - step
        }
        return pages.reversed()
    }

    /// Every page of ``plan(closingIn:now:period:rowsPerPage:)`` fetched in turn by `fetch`, and
    /// the candles made into what ``CandleUpstream/candles(for:closingIn:)`` promises: the one way
    /// the paging exchanges gather a history.
    static func gather(
        closingIn range: TimeRange, period: Duration, rowsPerPage: Int,
        _ fetch: (CandlePage) async throws(UpstreamError) -> [Candle]
    ) async throws(UpstreamError) -> [Candle] {
        let now = Timestamp.now
        var candles: [Candle] = []
        for page in plan(closingIn: range, now: now, period: period, rowsPerPage: rowsPerPage) {
            candles += try await fetch(page)
        }
        return finished(candles, closingIn: range, now: now)
    }

    /// What ``CandleUpstream/candles(for:closingIn:)`` promises, from candles gathered in any order
    /// and possibly overlapping: those closing in `range` and no later than `now`, oldest first,
    /// one per open time.
    static func finished(_ candles: [Candle], closingIn range: TimeRange, now: Timestamp) -> [Candle] {
        var seen = Set<Timestamp>()
        return
            candles
            .filter { range.contains($0.closeTime) && $0.closeTime <= now }
            .sorted { $0.openTime < $1.openTime }
            .filter { seen.insert($0.openTime).inserted }
    }
}

/// Reads the rows of a candle answer that sends each candle as an array of numbers
/// (`[time, open, high, low, close, volume]` in some order), naming the row and column of whatever
/// is wrong, so that one bad row fails the history with an error that says where.
struct CandleRow {
    let values: [JSONValue]
    /// Where the row is, for errors: `result.XXBTZUSD[3]`.
    let path: String

    /// The rows of `array`, each of at least `columns` values.
    static func rows(_ array: JSONValue?, path: String, columns: Int) throws(UpstreamError) -> [CandleRow] {
        guard let rows = array?.array else { throw .malformedBody("\(path) is not an array of candles") }
        var result: [CandleRow] = []
        result.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard let values = row.array, values.count >= columns else {
                throw .malformedBody("\(path)[\(index)] is not a candle of \(columns) values")
            }
            result.append(CandleRow(values: values, path: "\(path)[\(index)]"))
        }
        return result
    }

    func decimal(_ column: Int, _ name: String) throws(UpstreamError) -> Double {
        try values[column].decimal("\(path)[\(column)] (\(name))")
    }

    func time(_ column: Int, unit: EpochUnit) throws(UpstreamError) -> Timestamp {
        try values[column].epochTime("\(path)[\(column)] (time)", unit: unit)
    }
}
