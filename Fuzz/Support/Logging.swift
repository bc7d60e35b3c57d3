// Stand-in for swift-log's `Logging` module in the config harness: Setting.swift and Settings.swift
// use only `Logger.Level`, with swift-log's cases and raw values.
public struct Logger {
    public enum Level: String, Codable, CaseIterable, Sendable {
        case trace, debug, info, notice, warning, error, critical
    }
}
