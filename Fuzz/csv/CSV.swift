// Fuzzes SampleCSV, the reader of `cryptometrics import --csv` (HistoryImport.swift reads a file
// through `SampleCSV.Reader` a batch of rows at a time).
//
// Promises checked (SampleCSV.swift, Ticker.swift, CurrencyPair.swift, README "Importing history"):
// - every row handed over has a value that is finite, not negative and at most 1e18
//   (`Sample.largestValue`), the origin `imported`, and a metric type of price or volume;
// - its ticker is upper-case and "every stored ticker parses back to the pair it was stored for":
//   `Ticker(parsing: ticker.description) == ticker`;
// - its timestamp, written as RFC 3339 (as the API and the store show it), reads back the same;
// - `read` returns the number of rows it handed over; a refusal names a line that exists;
// - reading in batches (`Reader.read(_:rows:_:)`, as the import does) hands over the same rows
//   and stops with the same error as reading at once.
import MetricsCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let lines = bytes.count(where: { $0 == UInt8(ascii: "\n") }) + 1

    var whole: [SampleRow] = []
    var wholeError: SampleCSVError?
    do {
        let count = try SampleCSV.read(raw) { row in
            check(row, input: bytes)
            whole.append(row)
        }
        invariant(count == whole.count, "read returned \(count) but handed over \(whole.count) rows")
    } catch let error as SampleCSVError {
        invariant(error.line >= 1 && error.line <= lines, "error names line \(error.line) of a \(lines)-line input: \(error)")
        wholeError = error
    } catch {
        fatalError("invariant violated: SampleCSV threw \(error), not a SampleCSVError")
    }

    // The batch size is taken from the input's length, so that every size gets its turn.
    let batch = 1 + size % 7
    var batched: [SampleRow] = []
    var batchedError: SampleCSVError?
    var reader = SampleCSV.Reader()
    do {
        var more = true
        var calls = 0
        while more {
            var inThisCall = 0
            more = try reader.read(raw, rows: batch) { row in
                batched.append(row)
                inThisCall += 1
            }
            invariant(inThisCall <= batch, "a batch of \(batch) handed over \(inThisCall) rows")
            calls += 1
            invariant(calls <= size + 2, "Reader.read keeps saying there is more")
        }
        invariant(reader.rows == batched.count, "Reader.rows is \(reader.rows) after \(batched.count) rows")
    } catch let error as SampleCSVError {
        batchedError = error
    } catch {
        fatalError("invariant violated: SampleCSV.Reader threw \(error), not a SampleCSVError")
    }
    invariant(batched == whole, "batches of \(batch) read \(batched.count) rows, all at once \(whole.count): \(shown(bytes))")
    invariant(batchedError == wholeError, "batches of \(batch) stop with \(String(describing: batchedError)), all at once with \(String(describing: wholeError))")
    return 0
}

private func check(_ row: SampleRow, input: UnsafeBufferPointer<UInt8>) {
    invariant(
        row.value.isFinite && row.value >= 0 && row.value <= Sample.largestValue,
        "row value \(row.value) is not finite, non-negative and at most 1e18: \(shown(input))")
    invariant(row.origin == .imported, "row origin \(row.origin)")
    invariant(row.key.type == .price || row.key.type == .volume, "row type \(row.key.type)")
    let ticker = row.key.ticker
    invariant(ticker.exchange == ticker.exchange.uppercased() && ticker.pair.symbol == ticker.pair.symbol.uppercased(), "ticker \(ticker) is not upper-case")
    let reparsed = try? Ticker(parsing: ticker.description)
    invariant(reparsed == ticker, "ticker \(ticker) parses back as \(String(describing: reparsed))")
    let written = row.timestamp.rfc3339
    let reread = try? Timestamp(rfc3339: written)
    invariant(reread == row.timestamp, "row timestamp \(row.timestamp.microsecondsSince1970) µs is written \(written), which reads back as \(String(describing: reread?.microsecondsSince1970)) µs")
}
