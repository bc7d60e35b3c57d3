import Foundation
import MetricsCore
import QuoteSources

/// A JSON config file, checked strictly: unknown keys, wrong types, unknown exchanges and malformed
/// pairs are refused with the file, the key and the reason, so that a typo never silently falls
/// back to a default.
///
/// The original app's file (`{"markets": [{"name": "KRAKEN", "pairs": ["BTCUSD", ...]}, ...]}`) is
/// valid as it is; every other key is optional.
struct ConfigFile {
    let path: String
    /// Scalar settings by key (`port`, `upstreams.kraken.base_url`), as text for the shared parsers.
    private(set) var values: [String: String] = [:]
    /// The `markets` list, when the file has one.
    private(set) var markets: [Settings.Market]?

    /// The scalar keys a file may hold, and the JSON type each must have: at the top level, or
    /// inside a section (`alerts.allow_private_targets` is `{"alerts": {"allow_private_targets": …}}`).
    static let scalarKeys: [String: ValueKind] = Dictionary(
        uniqueKeysWithValues: Setting.all.compactMap { setting in setting.fileKind.map { (setting.key, $0) } })

    /// The sections that group scalar keys.
    static let sections = Set(
        scalarKeys.keys.compactMap { $0.split(separator: ".").count == 2 ? String($0.split(separator: ".")[0]) : nil })

    enum ValueKind {
        case string, integer, number, bool, stringList
    }

    init(path: String) throws(ConfigurationError) {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(origin: path, key: "(file)", reason: "cannot read the file: \(error.localizedDescription)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(data)
        } catch {
            throw ConfigurationError(origin: path, key: "(file)", reason: "not valid JSON: \(error)")
        }
        guard let top = document.object else {
            throw ConfigurationError(origin: path, key: "(file)", reason: "the top level must be a JSON object")
        }
        for (key, value) in top.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "markets":
                markets = try readMarkets(value)
            case "upstreams":
                try readUpstreams(value)
            case _ where Self.sections.contains(key):
                try readSection(key, value)
            default:
                guard let kind = Self.scalarKeys[key], !key.contains(".") else {
                    let known = Self.scalarKeys.keys.filter { !$0.contains(".") } + Self.sections + ["markets", "upstreams"]
                    throw fail(key, "unknown key; known keys are \(known.sorted().joined(separator: ", "))")
                }
                values[key] = try text(of: value, as: kind, key: key)
            }
        }
    }

    /// A section's keys, each checked as a top-level one is.
    private mutating func readSection(_ name: String, _ value: JSONValue) throws(ConfigurationError) {
        guard let object = value.object else { throw fail(name, "must be an object") }
        let known = Self.scalarKeys.keys.filter { $0.hasPrefix(name + ".") }.map { String($0.dropFirst(name.count + 1)) }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let kind = Self.scalarKeys["\(name).\(key)"] else {
                throw fail("\(name).\(key)", "unknown key; the keys of \(name) are \(known.sorted().joined(separator: ", "))")
            }
            values["\(name).\(key)"] = try text(of: value, as: kind, key: "\(name).\(key)")
        }
    }

    private func fail(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(origin: path, key: key, reason: reason)
    }

    private func text(of value: JSONValue, as kind: ValueKind, key: String) throws(ConfigurationError) -> String {
        switch (kind, value) {
        case (.string, .string(let text)):
            return text
        case (.integer, .number(let number)) where number == number.rounded() && abs(number) < 1e15:
            return String(Int64(number))
        case (.number, .number(let number)):
            return String(number)
        case (.bool, .bool(let flag)):
            return String(flag)
        case (.stringList, .array(let items)):
            var texts: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.string else { throw fail("\(key)[\(index)]", "must be a string") }
                texts.append(text)
            }
            return texts.joined(separator: ",")
        default:
            let expected =
                switch kind {
                case .string: "a string"
                case .integer: "a whole number"
                case .number: "a number"
                case .bool: "true or false"
                case .stringList: "a list of strings"
                }
            throw fail(key, "must be \(expected)")
        }
    }

    private func readMarkets(_ value: JSONValue) throws(ConfigurationError) -> [Settings.Market] {
        guard case .array(let entries) = value else { throw fail("markets", "must be a list of {\"name\", \"pairs\"} objects") }
        var markets: [Settings.Market] = []
        var seen = Set<Ticker>()
        for (index, entry) in entries.enumerated() {
            let prefix = "markets[\(index)]"
            guard let object = entry.object else { throw fail(prefix, "must be an object with \"name\" and \"pairs\"") }
            for key in object.keys where !["name", "pairs", "upstreams"].contains(key) {
                throw fail("\(prefix).\(key)", "unknown key; a market has name, pairs and optionally upstreams")
            }
            guard let name = object["name"]?.string, !name.isEmpty else {
                throw fail("\(prefix).name", "must be the exchange's name, such as \"KRAKEN\"")
            }
            var upstreams: [UpstreamKind] = []
            if let list = object["upstreams"] {
                guard case .array(let names) = list, !names.isEmpty else {
                    throw fail("\(prefix).upstreams", "must be a non-empty list of upstream names")
                }
                for (position, item) in names.enumerated() {
                    guard let text = item.string, let kind = UpstreamKind(rawValue: text.lowercased()) else {
                        throw fail(
                            "\(prefix).upstreams[\(position)]",
                            "unknown upstream; expected one of \(UpstreamKind.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    upstreams.append(kind)
                }
            } else if UpstreamKind.serving(exchange: name) == nil {
                throw fail(
                    "\(prefix).name",
                    "no built-in upstream for exchange \"\(name)\"; use one of \(UpstreamKind.exchangeNames.joined(separator: ", ")), or list its upstreams in \(prefix).upstreams (e.g. [\"cryptowatch\"])"
                )
            }
            guard case .array(let pairs) = object["pairs"] ?? .null, !pairs.isEmpty else {
                throw fail("\(prefix).pairs", "must be a non-empty list of pairs such as \"BTCUSD\"")
            }
            for (position, pair) in pairs.enumerated() {
                let key = "\(prefix).pairs[\(position)]"
                guard let text = pair.string else { throw fail(key, "must be a string such as \"BTCUSD\"") }
                let ticker: Ticker
                do {
                    ticker = try Ticker(exchange: name, pair: CurrencyPair(parsing: text))
                } catch {
                    throw fail(key, error.reason)
                }
                guard seen.insert(ticker).inserted else { throw fail(key, "\(ticker) is listed twice") }
                markets.append(Settings.Market(ticker: ticker, upstreams: upstreams))
            }
        }
        guard !markets.isEmpty else { throw fail("markets", "must list at least one market") }
        return markets
    }

    private mutating func readUpstreams(_ value: JSONValue) throws(ConfigurationError) {
        guard let upstreams = value.object else { throw fail("upstreams", "must be an object keyed by upstream name") }
        for (name, settings) in upstreams.sorted(by: { $0.key < $1.key }) {
            guard let kind = UpstreamKind(rawValue: name), kind != .simulated else {
                throw fail(
                    "upstreams.\(name)",
                    "unknown upstream; expected one of \(UpstreamKind.allCases.filter { $0 != .simulated }.map(\.rawValue).joined(separator: ", "))"
                )
            }
            guard let object = settings.object else { throw fail("upstreams.\(name)", "must be an object such as {\"base_url\": \"...\"}") }
            let known = Setting.Upstream.of(kind)
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                guard let setting = known.first(where: { $0.key == key }) else {
                    throw fail(
                        "upstreams.\(name).\(key)",
                        "unknown key; \(name) has \(known.map(\.key).joined(separator: ", "))"
                    )
                }
                values["upstreams.\(name).\(key)"] = try text(of: value, as: setting.fileKind, key: "upstreams.\(name).\(key)")
            }
        }
    }
}
