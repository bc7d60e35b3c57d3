import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built `cryptometrics` binary run as a child process, as a user runs it: for what only a
/// real process shows (signals, kill -9, exit codes, two processes on one database).
final class RunningProcess: Sendable {
    private let process: Process
    /// Where the process writes its log (standard error, and standard output unless apart): a
    /// file, not a pipe, so that a process that logs a lot never waits on a slow reader (a full
    /// pipe would stop it mid-log, and the test would blame the process).
    private let logFile: URL
    /// Standard output alone, when it was asked for apart from the log.
    private let outputFile: URL?

    /// The executable beside the test bundle: SwiftPM builds it with the tests.
    static var executable: URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent()]
        return candidates.map { $0.appendingPathComponent("cryptometrics") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? directory.appendingPathComponent("cryptometrics")
    }

    /// Starts `cryptometrics arguments...` in `directory`, collecting standard output and error
    /// together in ``log``, or standard output apart in ``printed`` with `separateOutput`.
    init(_ arguments: [String], in directory: URL, environment: [String: String] = [:], separateOutput: Bool = false) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CRYPTOMETRICS_") }
        merged.merge(environment) { _, new in new }
        process.environment = merged
        let name = UUID().uuidString
        logFile = directory.appendingPathComponent("process-\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardError = log
        var handles = [log]
        if separateOutput {
            let file = directory.appendingPathComponent("process-\(name).out")
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            let output = try FileHandle(forWritingTo: file)
            process.standardOutput = output
            handles.append(output)
            outputFile = file
        } else {
            process.standardOutput = log
            outputFile = nil
        }
        try process.run()
        // The child has its own copies; this process's would leak one per process started.
        for handle in handles { try? handle.close() }
    }

    /// What the process printed on standard output, when started with `separateOutput`.
    var printed: String { outputFile.map(Self.read) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process printed so far.
    var log: String { Self.read(logFile) }

    private static func read(_ file: URL) -> String {
        (try? Data(contentsOf: file)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Waits for a line containing `text`, up to `deadline`; returns that line.
    func line(containing text: String, within deadline: Duration = .seconds(60)) async throws -> String? {
        try await eventually(within: deadline) { [self] in
            log.split(separator: "\n").first { $0.contains(text) }.map(String.init)
        }
    }

    /// The port from the "serving the API on http://host:port" line.
    func apiPort(within deadline: Duration = .seconds(60)) async throws -> Int? {
        guard let line = try await line(containing: "serving the API on http://", within: deadline) else { return nil }
        let address = line.components(separatedBy: "http://")[1].prefix { !$0.isWhitespace }
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// The exit status once the process has exited within `deadline`; `nil` if it is still running.
    func exitStatus(within deadline: Duration) async throws -> Int32? {
        try await eventually(within: deadline) { [process] in
            process.isRunning ? nil : process.terminationStatus
        }
    }
}
