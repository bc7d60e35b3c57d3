import MetricsCore

/// Checks a JSON value against a schema of the OpenAPI document: the subset of JSON Schema the
/// document uses (`$ref`, `type` with null, `properties`, `required`, `additionalProperties: false`,
/// `items`, `enum`, `minimum`, `pattern` as a prefix/suffix-anchored digit check, `format: date-time`,
/// `oneOf`).
/// Returns every violation with its JSON path, so that a failing test says what drifted.
struct SchemaValidator {
    let document: JSONValue

    func violations(of value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        if let reference = schema["$ref"]?.string {
            let components = reference.dropFirst(2).split(separator: "/").map(String.init)
            var target: JSONValue? = document
            for component in components { target = target?[component] }
            guard let resolved = target else { return ["\(path): unresolvable \(reference)"] }
            return violations(of: value, against: resolved, at: path)
        }
        if let choices = schema["oneOf"]?.array {
            let matching = choices.filter { violations(of: value, against: $0, at: path).isEmpty }.count
            return matching == 1 ? [] : ["\(path): matches \(matching) of the \(choices.count) schemas of oneOf, not exactly one"]
        }
        var problems: [String] = []
        if let types = schema["type"].map(Self.typeNames) {
            guard types.contains(where: { Self.value(value, hasType: $0) }) else {
                return ["\(path): expected \(types.joined(separator: " or ")), found \(value)"]
            }
        }
        if case .null = value { return [] }
        if case .array(let allowed) = schema["enum"] ?? .null, !allowed.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        if case .number(let minimum) = schema["minimum"] ?? .null, case .number(let number) = value, number < minimum {
            problems.append("\(path): \(number) is below \(minimum)")
        }
        if schema["format"]?.string == "date-time", let text = value.string {
            do {
                _ = try Timestamp(rfc3339: text)
                if !text.hasSuffix("Z") { problems.append("\(path): \(text) is not in UTC with Z") }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        if let pattern = schema["pattern"]?.string, let text = value.string, !Self.matches(text, pattern) {
            problems.append("\(path): \"\(text)\" does not match \(pattern)")
        }
        if let object = value.object {
            let properties = schema["properties"]?.object ?? [:]
            for required in schema["required"]?.array ?? [] {
                if let name = required.string, object[name] == nil { problems.append("\(path): missing required \(name)") }
            }
            for (name, child) in object {
                if let childSchema = properties[name] {
                    problems += violations(of: child, against: childSchema, at: "\(path).\(name)")
                } else if case .bool(false) = schema["additionalProperties"] ?? .null {
                    problems.append("\(path): undocumented property \(name)")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() {
                problems += violations(of: item, against: itemSchema, at: "\(path)[\(index)]")
            }
        }
        return problems
    }

    private static func typeNames(_ type: JSONValue) -> [String] {
        if let name = type.string { return [name] }
        return type.array?.compactMap(\.string) ?? []
    }

    private static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            true
        case ("integer", .number(let number)):
            number == number.rounded()
        default:
            false
        }
    }

    /// The document's patterns are simple character-class sequences; they are checked by
    /// translating them to a regular expression.
    private static func matches(_ text: String, _ pattern: String) -> Bool {
        (try? Regex(pattern).wholeMatch(in: text)) != nil
    }
}
