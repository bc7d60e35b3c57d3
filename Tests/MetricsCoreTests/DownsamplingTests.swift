import MetricsCore
import PropertyBased
import Testing

@Suite struct DownsamplingTests {
    private func history(_ values: [Double]) -> SampleHistory {
        SampleHistory(timestamps: values.indices.map { Int64($0) * 60_000_000 }[...], values: values[...])
    }

    @Test func keepsTheEndsAndAtMostTheAskedNumberInOrder() async {
        await propertyCheck(input: Gen.double(in: -100...100).array(of: 0...300), Gen.int(in: 2...120)) { values, maxPoints in
            let kept = Downsampling.largestTriangleThreeBuckets(history(values), maxPoints: maxPoints)
            #expect(kept.count == min(values.count, maxPoints))
            #expect(kept == kept.sorted() && Set(kept).count == kept.count, "ascending, no repeats")
            if !values.isEmpty {
                #expect(kept.first == 0 && kept.last == values.count - 1, "first and last kept")
            }
        }
    }

    @Test func keepsTheSpikeAFlatLineHides() {
        var values = Array(repeating: 10.0, count: 1_440)
        values[777] = 50
        let kept = Downsampling.largestTriangleThreeBuckets(history(values), maxPoints: 20)
        #expect(kept.contains(777))
    }

    @Test func choosesTheLargestTriangleInEachBucket() {
        // Five points into four: the three middle points make two buckets, {1} and {2, 3}; the
        // second picks 2, whose triangle with point 1 and the last point is largest (area 28
        // against 2 for point 3).
        let values: [Double] = [0, 1, 10, 1, 0]
        #expect(Downsampling.largestTriangleThreeBuckets(history(values), maxPoints: 4) == [0, 1, 2, 4])
        #expect(Downsampling.largestTriangleThreeBuckets(history(values), maxPoints: 3) == [0, 2, 4])
        #expect(Downsampling.largestTriangleThreeBuckets(history(values), maxPoints: 2) == [0, 4])
    }
}

@Suite struct TextFormattingTests {
    private func python(_ value: Double) -> String {
        String(unsafeUninitializedCapacity: PythonFloat.maximumLength) { PythonFloat.write(value, to: $0.baseAddress!) }
    }

    @Test func writesWhatPythonsReprWrites() {
        // Printed by Python 3.11's repr().
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1.5, "1.5"), (90162.14, "90162.14"), (0.00012, "0.00012"), (1e-05, "1e-05"),
            (9100000000000000.0, "9100000000000000.0"), (9007199254740994.0, "9007199254740994.0"), (1e+16, "1e+16"),
            (123456789.12345679, "123456789.12345679"), (-2.5, "-2.5"), (-0.0, "-0.0"), (0.0, "0.0"), (3.0, "3.0"),
            (1e-08, "1e-08"), (0.30000000000000004, "0.30000000000000004"), (2619.8, "2619.8"), (1.00001, "1.00001"),
            (99999.999, "99999.999"), (5e-324, "5e-324"), (1.7976931348623157e+308, "1.7976931348623157e+308"),
            (12345678.9, "12345678.9"), (0.000123456789, "0.000123456789"), (4503599627370497.0, "4503599627370497.0"),
        ]
        for (value, expected) in cases {
            #expect(python(value) == expected)
        }
    }

    @Test func readsBackAsTheSameValueInTheShortestForm() async {
        // Swift's description is the shortest round-trip text; below 2^53 its form is Python's.
        await propertyCheck(count: 2_000, input: Gen.double(in: -1e6...1e6), Gen.int(in: 0...8)) { raw, places in
            var scale = 1.0
            for _ in 0..<places { scale *= 10 }
            let value = (raw * scale).rounded() / scale
            #expect(python(value) == value.description)
            #expect(Double(python(value)) == value)
        }
    }

    @Test func writesTimestampsAsTimestampParsesThem() async {
        await propertyCheck(count: 1_000, input: Gen.int(in: 0...253_402_300_799), Gen.int(in: 0...999_999)) { seconds, micros in
            let timestamp = Timestamp(microsecondsSince1970: Int64(seconds) * 1_000_000 + Int64(micros))
            let text = timestamp.rfc3339
            #expect((try? Timestamp(rfc3339: text)) == timestamp)
            #expect(text.count == (micros == 0 ? 20 : 27))
        }
    }
}
