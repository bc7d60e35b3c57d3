/// One sample to import: a row of a history CSV (`ticker,metric_type,timestamp,value`), or a
/// backfilled candle.
public struct SampleRow: Hashable, Sendable {
    public let key: MetricKey
    public let timestamp: Timestamp
    public let value: Double
    /// Where the value came from: a CSV row is ``SampleOrigin/imported``.
    public let origin: SampleOrigin

    public init(key: MetricKey, timestamp: Timestamp, value: Double, origin: SampleOrigin = .imported) {
        self.key = key
        self.timestamp = timestamp
        self.value = value
        self.origin = origin
    }
}

/// Why a history CSV was refused, with the 1-based line it was refused at.
public struct SampleCSVError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}

/// Reads history CSV files (`ticker,metric_type,timestamp,value`) as `cryptometrics import` takes
/// them, at millions of rows per second.
///
/// It works on raw bytes and allocates only when a row names a ticker it has not seen, because an
/// import of 28 million rows spends its time here. A value must be a finite, non-negative decimal
/// number; a timestamp RFC 3339 (see ``Timestamp/init(rfc3339:)``).
public enum SampleCSV {
    public static let header = "ticker,metric_type,timestamp,value"

    /// Calls `body` for each data row in order, and returns the number of rows. Stops at the first
    /// bad row, throwing its line number and what is wrong with it.
    @discardableResult
    public static func read(
        _ bytes: UnsafeRawBufferPointer,
        _ body: (SampleRow) throws -> Void
    ) throws -> Int {
        var reader = Reader()
        while try reader.read(bytes, rows: .max, body) {}
        return reader.rows
    }

    /// Where a reading of one file has got to, so that a file can be read a batch of rows at a
    /// time (an import hands each batch to the store while it reads the next). The caller hands
    /// in the same bytes on every call.
    public struct Reader {
        /// Data rows read so far.
        public private(set) var rows = 0
        private var position = 0
        private var line = 0
        private var tickers = TickerCache()

        public init() {}

        /// Calls `body` for up to `limit` more data rows; returns false once the file is read to
        /// its end. Stops at the first bad row, throwing its line number and what is wrong with it.
        public mutating func read(_ raw: UnsafeRawBufferPointer, rows limit: Int, _ body: (SampleRow) throws -> Void) throws -> Bool {
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            // Skip a UTF-8 byte order mark, which spreadsheet exports often add.
            if line == 0, position == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
            var read = 0
            while position < bytes.count, read < limit {
                line += 1
                var end = position
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var lineEnd = end
                if lineEnd > position, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let content = UnsafeBufferPointer(rebasing: bytes[position..<lineEnd])
                position = end + 1

                if line == 1 {
                    guard String(decoding: content, as: UTF8.self) == header else {
                        throw SampleCSVError(
                            line: 1,
                            reason:
                                "the first line must be the header \"\(header)\", found \"\(String(decoding: content.prefix(80), as: UTF8.self))\""
                        )
                    }
                    continue
                }
                if content.isEmpty { continue }
                let row = try parseRow(content, line: line, tickers: &tickers)
                try body(row)
                rows += 1
                read += 1
            }
            if position < bytes.count { return true }
            if line == 0 {
                throw SampleCSVError(line: 1, reason: "the file is empty; expected the header \"\(header)\"")
            }
            return false
        }
    }

    fileprivate static func parseRow(
        _ content: UnsafeBufferPointer<UInt8>,
        line: Int,
        tickers: inout TickerCache
    ) throws -> SampleRow {
        // Four fields in a fixed buffer: no allocation per row.
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var fields = (empty, empty, empty, empty)
        var count = 0
        var start = 0
        for index in 0...content.count where index == content.count || content[index] == UInt8(ascii: ",") {
            let field = unquoted(UnsafeBufferPointer(rebasing: content[start..<index]))
            switch count {
            case 0: fields.0 = field
            case 1: fields.1 = field
            case 2: fields.2 = field
            case 3: fields.3 = field
            default: break
            }
            count += 1
            start = index + 1
        }
        guard count == 4 else {
            throw SampleCSVError(line: line, reason: "expected 4 fields (\(header)), found \(count)")
        }
        let ticker: Ticker
        do {
            ticker = try tickers.ticker(for: fields.0)
        } catch {
            throw SampleCSVError(line: line, reason: error.description)
        }
        guard let type = metricType(fields.1) else {
            throw SampleCSVError(
                line: line,
                reason: "unknown metric_type \"\(String(decoding: fields.1, as: UTF8.self))\"; expected price or volume"
            )
        }
        guard let timestamp = Timestamp.parse(rfc3339: fields.2) else {
            throw SampleCSVError(line: line, reason: TimestampError(input: String(decoding: fields.2, as: UTF8.self)).description)
        }
        guard let value = DecimalText.parse(fields.3) else {
            throw SampleCSVError(
                line: line,
                reason: "invalid value \"\(String(decoding: fields.3, as: UTF8.self))\": expected a decimal number such as 2619.8"
            )
        }
        guard value.isFinite, value >= 0, value <= Sample.largestValue else {
            throw SampleCSVError(
                line: line,
                reason: "invalid value \(value): prices and volumes are finite, not negative and at most 1e18"
            )
        }
        return SampleRow(key: MetricKey(ticker: ticker, type: type), timestamp: timestamp, value: value)
    }

    private static func unquoted(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard field.count >= 2, field.first == UInt8(ascii: "\""), field.last == UInt8(ascii: "\"") else { return field }
        return UnsafeBufferPointer(rebasing: field[1..<(field.count - 1)])
    }

    private static func metricType(_ field: UnsafeBufferPointer<UInt8>) -> MetricType? {
        if field.elementsEqual("price".utf8) { return .price }
        if field.elementsEqual("volume".utf8) { return .volume }
        return nil
    }
}

/// Remembers parsed tickers by their bytes, so that a row repeating the previous row's ticker
/// costs one comparison and a new one costs one parse.
private struct TickerCache {
    private var last: (bytes: [UInt8], ticker: Ticker)?
    private var seen: [[UInt8]: Ticker] = [:]

    mutating func ticker(for field: UnsafeBufferPointer<UInt8>) throws(TickerError) -> Ticker {
        if let last, last.bytes.elementsEqual(field) { return last.ticker }
        let bytes = Array(field)
        let ticker: Ticker
        if let known = seen[bytes] {
            ticker = known
        } else {
            ticker = try Ticker(parsing: String(decoding: bytes, as: UTF8.self))
            seen[bytes] = ticker
        }
        last = (bytes, ticker)
        return ticker
    }
}
