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

    static func run(_ file: CSVFile, into store: some MetricStore) async throws -> Outcome {
        let csvPath = file.path
        let data = file.data
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let summary = try await store.importSamples { (insert: (SampleRow) throws -> Void) throws -> Void in
                try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Void in
                    try SampleCSV.read(bytes, insert)
                }
            }
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Outcome(path: csvPath, summary: summary, seconds: seconds)
        } catch let error as SampleCSVError {
            throw Failure(path: csvPath, reason: error.description)
        }
    }
}
