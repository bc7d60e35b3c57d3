import ArgumentParser
import Foundation
import MetricsCore
import MetricsStore

/// `cryptometrics import --csv FILE`: loads history from a CSV file in one transaction.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load history from a CSV file with header ticker,metric_type,timestamp,value.",
        discussion: """
            ticker is EXCHANGE:PAIR (KRAKEN:BTCUSD), metric_type price or volume, timestamp RFC 3339 \
            (2026-11-25T23:21:00Z), value a decimal number. Metrics that do not exist are created. The \
            whole file is one transaction: a bad row stops the import with its line number, and nothing \
            of the file is stored. Rows for a metric and timestamp already stored are skipped.
            """
    )

    @Option(help: "The CSV file to load.")
    var csv: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let settings = try loadSettings(store.values)
        let logger = bootstrapLogging(settings)
        do {
            // The file first: a missing CSV must not leave a new, empty database behind.
            let file = try HistoryImport.CSVFile(path: csv)
            let outcome = try await withStore(settings, logger: logger, polling: false) { store in
                try await HistoryImport.run(file, into: store)
            }
            print(outcome.description)
        } catch let error as HistoryImport.Failure {
            FileHandle.standardError.write(Data("import failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
