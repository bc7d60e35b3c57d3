import Foundation
import MetricsCore
import PropertyBased
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func readsWhatFoundationReads() throws {
        let documents = [
            #"{"a":[1,-2.5,3e2,1E-3,0,-0.0,true,false,null],"b":{"c":"d"},"e":[]}"#,
            #"  {"esc":"q\"b\\s\/n\nr\rt\tb\bf\f","u":"\u00e9\u20ac\ud83d\ude00","raw":"żółć 😀"}  "#,
            #"[[[[["deep"]]]],{},{"":""}]"#,
            #"{"result":{"XXBTZUSD":{"c":["84682.00000","0.00702654"],"v":["2619.80000","3141.59265"]}},"error":[]}"#,
            "123456789012345678901234567890",
            "\"just a string\"",
        ]
        for document in documents {
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(try parse(document) == expected, "\(document)")
        }
    }

    @Test func readsNumbersCorrectlyRounded() async {
        await propertyCheck(count: 500, input: Gen.double(in: -1e12...1e12), Gen.int(in: -30...30)) { mantissa, exponent in
            let text = "\(mantissa)e\(exponent)"
            #expect((try? parse(text)) == .number(Double(text)!))
        }
    }

    @Test func aNumberBeyondDoubleIsInfinityNotAFailedDocument() throws {
        #expect(try parse(#"{"price":1e999,"volume":"2"}"#)["price"] == .number(.infinity))
        #expect(try parse("-1e999") == .number(-.infinity))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "\"open", "\"tab\there\"",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\\u0041\"", "tru", "nul", "[1] [2]", "<html>",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try parse(text) }
    }

    @Test func refusesNestingTooDeep() {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONParser.Failure.self) { try parse(deep) }
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect((try? parse(fine)) != nil)
    }
}

/// Foundation's decoder into ``JSONValue``: the independent reference `JSONParser` is checked
/// against (the product reads JSON with `JSONParser` only).
extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
