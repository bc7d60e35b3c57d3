/// A rule as the API takes it and the store keeps it:
/// `{"kind": "deviation", "k": 3, "window": "1h", "min_samples": 10}`,
/// `{"kind": "threshold", "above": 100000}` (or `"below"`),
/// `{"kind": "change", "window": "1h", "percent": 5, "direction": "up"}`, each with optional
/// `for_samples`, `resolve_samples` and `cooldown_seconds`.
///
/// Reading is strict, because a typo that is silently ignored would make an alert that never
/// fires: an unknown field, a wrong type or a value out of bounds is an error that names the field
/// and says what it takes.
extension AlertRule {
    private static let commonFields = ["kind", "for_samples", "resolve_samples", "cooldown_seconds"]

    /// Reads a rule from JSON; `path` prefixes the field names in errors (`rule.k`).
    public init(json: JSONValue, path: String = "rule") throws(AlertRuleError) {
        guard let object = json.object else {
            throw AlertRuleError(field: path, reason: "must be an object with a \"kind\": deviation, threshold or change")
        }
        let fields = JSONFields(object: object, path: path)
        let kind = try fields.string("kind", required: true) ?? ""
        let condition: AlertCondition
        switch kind {
        case "deviation":
            try fields.allowOnly(Self.commonFields + ["k", "window", "min_samples"], kind: "a deviation rule")
            condition = .deviation(
                k: try fields.number("k") ?? AlertCondition.defaultDeviationK,
                window: try fields.window("window") ?? AlertCondition.defaultDeviationWindow,
                minSamples: try fields.integer("min_samples") ?? AlertCondition.defaultMinSamples
            )
        case "threshold":
            try fields.allowOnly(Self.commonFields + ["above", "below"], kind: "a threshold rule")
            switch (try fields.number("above"), try fields.number("below")) {
            case (let line?, nil): condition = .threshold(.above, line)
            case (nil, let line?): condition = .threshold(.below, line)
            case (.some, .some):
                throw AlertRuleError(field: "\(path).above", reason: "and \(path).below cannot both be given: make two subscriptions")
            case (nil, nil):
                throw AlertRuleError(field: "\(path).above", reason: "or \(path).below is required: the line to compare the value with")
            }
        case "change":
            try fields.allowOnly(Self.commonFields + ["window", "percent", "direction"], kind: "a change rule")
            guard let window = try fields.window("window") else {
                throw AlertRuleError(field: "\(path).window", reason: "is required: 1h, 24h or 7d")
            }
            guard let percent = try fields.number("percent") else {
                throw AlertRuleError(field: "\(path).percent", reason: "is required: the change, in percent, that fires the alert")
            }
            let direction = try fields.string("direction").map { text throws(AlertRuleError) in
                guard let direction = ChangeDirection(rawValue: text) else {
                    throw AlertRuleError(field: "\(path).direction", reason: "must be \"up\", \"down\" or \"either\", not \"\(text)\"")
                }
                return direction
            }
            condition = .change(window: window, percent: percent, direction: direction ?? .either)
        default:
            throw AlertRuleError(field: "\(path).kind", reason: "must be \"deviation\", \"threshold\" or \"change\", not \"\(kind)\"")
        }
        let forSamples = try fields.integer("for_samples") ?? Self.defaultForSamples
        let resolveSamples = try fields.integer("resolve_samples") ?? Self.defaultResolveSamples
        let cooldownSeconds = try fields.integer("cooldown_seconds") ?? Self.defaultCooldownSeconds
        do {
            try self.init(condition, forSamples: forSamples, resolveSamples: resolveSamples, cooldownSeconds: cooldownSeconds)
        } catch {
            // The bounds' errors name `rule.…`; keep the caller's path.
            throw AlertRuleError(field: path + error.field.dropFirst("rule".count), reason: error.reason)
        }
    }

    /// The rule as JSON, every field written with the defaults filled in, in a fixed order: what
    /// the API answers and the store keeps.
    public var json: String {
        var fields: [(String, String)] = []
        switch condition {
        case .deviation(let k, let window, let minSamples):
            fields = [
                ("kind", "\"deviation\""), ("k", Self.number(k)), ("window", "\"\(window.rawValue)\""), ("min_samples", "\(minSamples)"),
            ]
        case .threshold(let side, let line):
            fields = [("kind", "\"threshold\""), (side.rawValue, Self.number(line))]
        case .change(let window, let percent, let direction):
            fields = [
                ("kind", "\"change\""), ("window", "\"\(window.rawValue)\""), ("percent", Self.number(percent)),
                ("direction", "\"\(direction.rawValue)\""),
            ]
        }
        fields += [("for_samples", "\(forSamples)"), ("resolve_samples", "\(resolveSamples)"), ("cooldown_seconds", "\(cooldownSeconds)")]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Integers without a fraction; others as Swift's shortest text that reads back exactly.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// The fields of one JSON object, read with errors that name them.
private struct JSONFields {
    let object: [String: JSONValue]
    let path: String

    func allowOnly(_ names: [String], kind: String) throws(AlertRuleError) {
        for name in object.keys.sorted() where !names.contains(name) {
            throw AlertRuleError(
                field: "\(path).\(name)", reason: "is not a field of \(kind); its fields are \(names.joined(separator: ", "))")
        }
    }

    func string(_ name: String, required: Bool = false) throws(AlertRuleError) -> String? {
        switch object[name] {
        case nil where required: throw AlertRuleError(field: "\(path).\(name)", reason: "is required")
        case nil: return nil
        case .null?: throw AlertRuleError(field: "\(path).\(name)", reason: "must be a string, not null; leave it out for its default")
        case .string(let text)?: return text
        default: throw AlertRuleError(field: "\(path).\(name)", reason: "must be a string")
        }
    }

    func number(_ name: String) throws(AlertRuleError) -> Double? {
        switch object[name] {
        case nil: return nil
        case .null?: throw AlertRuleError(field: "\(path).\(name)", reason: "must be a number, not null; leave it out for its default")
        case .number(let value)?: return value
        default: throw AlertRuleError(field: "\(path).\(name)", reason: "must be a number")
        }
    }

    func integer(_ name: String) throws(AlertRuleError) -> Int? {
        guard let value = try number(name) else { return nil }
        guard value == value.rounded(), abs(value) <= 1e15 else {
            throw AlertRuleError(field: "\(path).\(name)", reason: "must be a whole number")
        }
        return Int(value)
    }

    func window(_ name: String) throws(AlertRuleError) -> StatisticsWindow? {
        guard let text = try string(name) else { return nil }
        guard let window = StatisticsWindow(rawValue: text) else {
            throw AlertRuleError(field: "\(path).\(name)", reason: "must be 1h, 24h or 7d, not \"\(text)\"")
        }
        return window
    }
}
