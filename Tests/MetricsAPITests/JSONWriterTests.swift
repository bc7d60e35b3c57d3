import Testing

@testable import MetricsAPI

@Suite struct JSONWriterTests {
    @Test func writesFloatsAsPythonDoes() {
        let cases: [(Double, String)] = [
            (84682, "84682.0"), (0, "0.0"), (2619.8, "2619.8"), (1e-8, "1e-08"), (1e16, "1e+16"),
            (0.0001, "0.0001"), (123_456_789_012_345_680, "1.2345678901234568e+17"), (.nan, "null"), (.infinity, "null"),
        ]
        for (value, expected) in cases {
            var json = JSONWriter()
            json.float(value)
            #expect(json.text == expected)
        }
    }

    @Test func escapesStrings() {
        var json = JSONWriter()
        json.string("a \"quoted\" \\ path\n\u{01}é")
        #expect(json.text == #""a \"quoted\" \\ path\n\u0001é""#)
    }
}
