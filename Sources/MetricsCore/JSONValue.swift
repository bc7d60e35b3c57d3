import Foundation

/// Any JSON document, read by ``JSONParser`` without assumptions, so that a reader can say exactly which field
/// is missing or of the wrong kind instead of rejecting the whole document.
public enum JSONValue: Hashable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { array[index] } else { nil }
    }

    public var object: [String: JSONValue]? {
        if case .object(let object) = self { object } else { nil }
    }

    public var array: [JSONValue]? {
        if case .array(let array) = self { array } else { nil }
    }

    public var double: Double? {
        if case .number(let number) = self { number } else { nil }
    }

    public var string: String? {
        if case .string(let string) = self { string } else { nil }
    }

    public var strings: [String]? {
        guard case .array(let array) = self else { return nil }
        return array.compactMap(\.string)
    }

}
