import PropertyBased
import Testing

@testable import MetricsCore

/// The judge, fed from a statistics book cycle by cycle as the detector feeds it, gives the
/// verdicts a direct computation over the whole history gives.
@Suite struct AlertJudgeTests {
    @Test func verdictsFromTheBookMatchADirectComputation() async {
        await propertyCheck(count: 25, input: Gen.uint64(), Gen.int(in: 50...400)) { seed, count in
            var random = SplitMix(seed: seed)
            let metric = Metric(id: 1, key: MetricKey(ticker: try! Ticker(parsing: "kraken:btcusd"), type: .price))
            var book = StatisticsBook()
            book.register([metric])
            let conditions: [AlertCondition] = [
                .deviation(k: 1.5, window: .oneHour, minSamples: 5),
                .deviation(k: 3, window: .oneDay, minSamples: 10),
                .change(window: .oneHour, percent: 0.5, direction: .either),
                .threshold(.above, 100_000),
            ]
            // Prices wandering near 100,000, a sample every 10 s to 5 min, sometimes a jump.
            var time: Int64 = 1_764_000_000_000_000
            var price = 100_000.0
            var timestamps: [Int64] = []
            var values: [Double] = []
            for _ in 0..<count {
                time += Int64.random(in: 10...300, using: &random) * 1_000_000
                price *= 1 + Double.random(in: -0.002...0.002, using: &random)
                if Int.random(in: 0..<25, using: &random) == 0 { price *= 1.02 }
                timestamps.append(time)
                values.append(price)
            }
            // The first third is history, there before the judge starts watching; the rest comes
            // in cycles of one to three samples.
            let watchedFrom = count / 3
            book.insert(1, timestamps: Array(timestamps[..<watchedFrom]), values: Array(values[..<watchedFrom]))
            book.advance(to: Timestamp(microsecondsSince1970: timestamps[watchedFrom - 1] + 1))
            var judge = AlertJudge()
            var judged = timestamps[watchedFrom - 1]
            var next = watchedFrom
            var checked = 0
            while next < count {
                let end = min(count, next + Int.random(in: 1...3, using: &random))
                book.insert(1, timestamps: Array(timestamps[next..<end]), values: Array(values[next..<end]))
                book.advance(to: Timestamp(microsecondsSince1970: timestamps[end - 1] + 1))
                let input = try #require(
                    book.alertInput(
                        of: 1, after: judged, seeding: judge.unseeded(1, for: conditions),
                        references: AlertJudge.referenceWindows(for: conditions)))
                #expect(input.timestamps == Array(timestamps[next..<end]))
                let verdicts = judge.judge(input, by: conditions)
                for (offset, index) in (next..<end).enumerated() {
                    for (condition, verdict) in zip(conditions, verdicts) {
                        try check(verdict[offset], of: condition, at: index, timestamps: timestamps, values: values)
                        checked += 1
                    }
                }
                judged = timestamps[end - 1]
                next = end
            }
            #expect(checked == (count - watchedFrom) * conditions.count)
            #expect(judge.windowCount == 2, "one window per metric and length")
        }
    }

    /// One verdict against the definition: W the samples in [t − H, t), m its mean, D its mean
    /// absolute deviation, both in two passes.
    private func check(
        _ verdict: AlertJudgement, of condition: AlertCondition, at index: Int, timestamps: [Int64], values: [Double]
    ) throws {
        let time = timestamps[index]
        let value = values[index]
        #expect(verdict.value == value)
        switch condition {
        case .deviation(let k, let window, let minSamples):
            let held = zip(timestamps[..<index], values[..<index]).filter { $0.0 >= time - window.microseconds }.map(\.1)
            #expect(verdict.samples == held.count)
            guard !held.isEmpty else { return }
            let mean = Reference.sum(held) / Double(held.count)
            let deviation = Reference.sum(held.map { abs($0 - mean) }) / Double(held.count)
            let m = try #require(verdict.mean)
            let d = try #require(verdict.deviation)
            #expect(abs(m - mean) <= 1e-9 * abs(mean))
            #expect(abs(d - deviation) <= 1e-9 * deviation + 4 * value * Double.ulpOfOne)
            let distance = abs(value - mean) - k * deviation
            // A sample within rounding of the line may fall either way; every other must agree.
            if abs(distance) > 1e-9 * value {
                #expect(verdict.holds == (held.count >= minSamples && deviation > 0 && distance >= 0), "at sample \(index)")
            }
        case .change(let window, let percent, _):
            let reference = zip(timestamps[..<index], values[..<index]).first { $0.0 >= time - window.microseconds }?.1
            #expect(verdict.reference == reference)
            if let reference {
                let change = (value - reference) / reference * 100
                #expect(verdict.holds == (abs(change) >= percent) || abs(abs(change) - percent) < 1e-9)
            } else {
                #expect(!verdict.holds)
            }
        case .threshold(_, let line):
            #expect(verdict.holds == (value > line))
        }
    }
}
