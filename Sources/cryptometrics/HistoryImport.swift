import Foundation
import MetricsCore
import MetricsStore

/// Streams a history CSV into the store in one transaction.
enum HistoryImport {
    struct Outcome: CustomStringConvertible {
        let path: String
        let summary: ImportSummary
        let seconds: Double

        var description: String {
            let rate = seconds > 0 ? Int(Double(summary.inserted + summary.duplicates) / seconds) : 0
            var text = "imported \(summary.inserted) samples from \(path) in \(String(format: "%.2f", seconds)) s (\(rate) rows/s)"
            if summary.metricsCreated > 0 { text += "; created \(summary.metricsCreated) metrics" }
            if summary.duplicates > 0 { text += "; skipped \(summary.duplicates) rows already stored" }
            return text
        }
    }

    /// Why nothing of the file was stored.
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "\(path): \(reason); nothing of this file was stored" }
    }

    /// A CSV file, mapped rather than read: a 28-million-row file need not sit in memory twice.
    struct CSVFile {
        let path: String
        let data: Data

        init(path: String) throws(Failure) {
            self.path = path
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                throw Failure(path: path, reason: "cannot read the file: \(error.localizedDescription)")
            }
        }
    }

    static func run(_ file: CSVFile, into store: any MetricStore) async throws -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let summary = try await store.importSamples(CSVBatches(data: file.data))
            let elapsed = clock.now - started
            let seconds = elapsed.seconds
            return Outcome(path: file.path, summary: summary, seconds: seconds)
        } catch let error as SampleCSVError {
            throw Failure(path: file.path, reason: error.description)
        }
    }

    /// A CSV file's rows, a batch at a time: the store writes one batch while the next is read.
    struct CSVBatches: AsyncSequence {
        /// Large enough that handing a batch over costs nothing next to reading it, small enough
        /// to keep a few megabytes in memory.
        static let batchSize = 16_384

        let data: Data

        func makeAsyncIterator() -> Iterator { Iterator(data: data) }

        struct Iterator: AsyncIteratorProtocol {
            let data: Data
            var reader = SampleCSV.Reader()
            var isDone = false

            init(data: Data) { self.data = data }

            mutating func next() async throws -> [SampleRow]? {
                guard !isDone else { return nil }
                var batch: [SampleRow] = []
                batch.reserveCapacity(CSVBatches.batchSize)
                let data = self.data
                let more = try data.withUnsafeBytes { bytes in
                    try reader.read(bytes, rows: CSVBatches.batchSize) { batch.append($0) }
                }
                isDone = !more
                return batch.isEmpty && isDone ? nil : batch
            }
        }
    }
}
