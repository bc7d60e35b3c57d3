// Fuzzes the config file reader (Sources/cryptometrics/ConfigFile.swift) and what the loader then
// does with a file's values, compiled into this harness with Setting.swift, Settings.swift,
// ConfigurationError.swift and PostgresStore's PostgresLocation.swift; `DatabaseLocation` is
// extracted from Application+build.swift at build time, and `Logging` is a stand-in module with
// `Logger.Level` only. SettingsLoader (swift-configuration) is replaced by its file layer alone:
// each value through its setting's `apply`, in the loader's order, stopping at the first refusal.
//
// Promises checked (ConfigFile.swift, Setting.swift, Settings.swift, README "Configuration"):
// - a file is read or refused with a ConfigurationError naming the file, never a crash;
// - every value it keeps is under a known key of the right setting (a scalar, a section's, or
//   `upstreams.<name>.<key>` of that upstream);
// - `markets`, when given, is not empty, lists no ticker twice, and each market has upstreams or
//   is named after a built-in exchange (what `Settings.pollPlan` force-unwraps);
// - settings that the values make give a poll plan and configured upstreams without trapping
//   (`PollPlan.Market` and `RateLimit` preconditions, the pacer each upstream gets);
// - every setting's parser (`Parse.*`, as a flag or an environment variable would feed it: ticker
//   lists, origins, URLs, database locations, numbers) reads every string value of the file
//   without trapping.
import Foundation
import Logging
import MetricsCore
@testable import QuoteSources

/// ConfigFile reads a path, so each input is written to one first: in memory (/dev/shm) where
/// there is one, one file per process.
private let path: String = {
    let shm = "/dev/shm"
    let directory = FileManager.default.isWritableFile(atPath: shm) ? shm : ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return "\(directory)/cryptometrics-fuzz-config-\(ProcessInfo.processInfo.processIdentifier).json"
}()

/// Removes the file when libFuzzer exits normally (a crash leaves it, with its input, for a look).
private let removeAtExit: Void = {
    atexit { _ = unlink(path) }
}()

private let knownKeys: Set<String> = {
    var keys = Set(Setting.all.filter { $0.fileKind != nil }.map(\.key))
    for kind in UpstreamKind.allCases where kind != .simulated {
        for setting in Setting.Upstream.of(kind) { keys.insert("upstreams.\(kind.rawValue).\(setting.key)") }
    }
    return keys
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(buffer: UnsafeBufferPointer(start: data, count: size))
    _ = removeAtExit
    do {
        try bytes.write(to: URL(fileURLWithPath: path))
    } catch {
        fatalError("cannot write \(path): \(error)")
    }
    let file: ConfigFile
    do {
        file = try ConfigFile(path: path)
    } catch {
        // The key may be empty: `{"": 1}` is refused for its unknown key "".
        invariant(error.origin == path, "a refusal that does not name the file: \(error)")
        _ = error.description
        return 0
    }
    for key in file.values.keys {
        invariant(knownKeys.contains(key), "the file keeps a value under the unknown key \(key): \(shown(bytes))")
    }
    // Each value as any setting's flag or environment variable: what the other layers would read.
    for text in Set(file.values.values) {
        var scratch = Settings()
        for setting in Setting.all { _ = setting.apply(text, &scratch) }
        var upstream = Settings.Upstream()
        for setting in Setting.Upstream.all { _ = setting.apply(text, &upstream) }
    }
    if let markets = file.markets {
        invariant(!markets.isEmpty, "an empty markets list was accepted")
        invariant(Set(markets.map(\.ticker)).count == markets.count, "a ticker listed twice was accepted: \(shown(bytes))")
        for market in markets {
            invariant(
                !market.upstreams.isEmpty || UpstreamKind.serving(exchange: market.ticker.exchange) != nil,
                "market \(market.ticker) has no upstream: \(shown(bytes))")
        }
    }

    // SettingsLoader.settings() with the file as the only layer.
    var settings = Settings()
    if let markets = file.markets { settings.markets = markets }
    for setting in Setting.all {
        guard let text = file.values[setting.key] else { continue }
        if case .failure = setting.apply(text.trimmingCharacters(in: .whitespaces), &settings) { return 0 }
    }
    for kind in UpstreamKind.allCases where kind != .simulated {
        var upstream = Settings.Upstream()
        for setting in Setting.Upstream.of(kind) {
            guard let text = file.values["upstreams.\(kind.rawValue).\(setting.key)"] else { continue }
            if case .failure = setting.apply(text.trimmingCharacters(in: .whitespaces), &upstream) { return 0 }
        }
        if upstream != Settings.Upstream() { settings.upstreams[kind] = upstream }
    }
    if case .postgres(let location) = settings.database {
        invariant((1...65_535).contains(location.port) && !location.host.isEmpty && !location.username.isEmpty, "database \(location)")
    }
    let plan = settings.pollPlan
    invariant(plan.markets.count == settings.markets.count, "the plan lost markets")
    for upstream in settings.makeUpstreams() {
        let http = (upstream as? KrakenUpstream)?.http ?? (upstream as? ZondaUpstream)?.http ?? (upstream as? CoinbaseUpstream)?.http
            ?? (upstream as? BinanceUpstream)?.http ?? (upstream as? BitstampUpstream)?.http ?? (upstream as? GeminiUpstream)?.http
            ?? (upstream as? CryptowatchUpstream)?.http
        // The real client makes a pacer for the rate limit.
        if let limit = http?.rateLimit { _ = RequestPacer(limit: limit) }
    }
    return 0
}
