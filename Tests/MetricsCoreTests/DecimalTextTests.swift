import MetricsCore
import Testing

@Suite struct DecimalTextTests {
    @Test func agreesWithTheStandardLibrary() {
        var generator = SplitMix(seed: 3)
        for _ in 0..<20_000 {
            let integer = generator.next() % 10_000_000
            let fraction = generator.next() % 100_000_000
            let digits = Int(generator.next() % 9)
            let text = digits == 0 ? "\(integer)" : "\(integer).\(String(String(fraction).prefix(digits)))"
            #expect(DecimalText.parse(text) == Double(text), "\(text)")
        }
        for text in [
            "0.00067643", "30303.20000", "1e-8", "2.5E3", "123456789012345678901234.5", "-0.5", "+7",
            "0.1000000000000000055511151231257827",
        ] {
            #expect(DecimalText.parse(text) == Double(text), "\(text)")
        }
    }

    @Test(arguments: ["", ".", "-", "abc", "nan", "inf", "infinity", "0x1p3", "1.2.3", "1e", "1e+", "1,5", " 1"])
    func rejectsWhatIsNotADecimal(text: String) {
        #expect(DecimalText.parse(text) == nil)
    }
}
