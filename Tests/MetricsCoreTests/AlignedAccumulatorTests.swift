import PropertyBased
import Testing

@testable import MetricsCore

/// Instances behind a load balancer must serve the same bytes: a window's statistics may depend
/// only on the samples in it, never on when an instance started or how often it advanced. These
/// compare the accumulators' raw results, before any rounding, bit for bit.
@Suite struct AlignedAccumulatorTests {
    private struct Elements: AccumulatorElements {
        let values: [Double]
        let stamps: [Int64]
        func element(at index: Int) -> Double { values[index] }
        func timestamp(at index: Int) -> Int64 { stamps[index] }
    }

    /// A window over `stamps`/`values` that slides by `window` microseconds, as an instance does:
    /// one sample at a time, the start moved after each.
    private struct Instance {
        var accumulator: AlignedAccumulator
        let window: Int64

        mutating func slide(to index: Int, stamps: [Int64], values: [Double]) {
            accumulator.append(values[index], at: stamps[index])
            var start = accumulator.start
            while stamps[start] < stamps[index] - window { start += 1 }
            accumulator.advanceStart(to: start)
        }

        mutating func statistics(_ values: [Double], _ stamps: [Int64]) -> RunningStatistics {
            let (statistics, shift) = accumulator.statistics(Elements(values: values, stamps: stamps))
            return statistics.movingMean(by: shift)
        }
    }

    @Test func instancesStartedAtDifferentMomentsAgreeBitForBit() async {
        await propertyCheck(
            count: 40,
            input: Gen.int(in: 0...2), Gen.int(in: 2_000...4_000), Gen.int(in: 1_600...3_999), Gen.uint64()
        ) { windowIndex, count, joinAt, seed in
            // A window of each length, sampled so that it holds about 1,500 samples: more than one
            // to a sub-block (1 h at about 2.4 s), or fewer (7 d at about 400 s). The second
            // instance joins once the window has begun to slide, in the middle of a block.
            let window = StatisticsWindow.allCases[windowIndex].microseconds
            let spacing = max(1, Int(window / 1_000_000 / 1_500))
            var random = SplitMix(seed: seed)
            var level = 90_000.0
            var stamps: [Int64] = []
            var values: [Double] = []
            var time: Int64 = 1_764_000_000_000_000
            for _ in 0..<count {
                // Irregular spacing, as polls and backfills give.
                time +=
                    Int64(Int.random(in: 1...(2 * spacing), using: &random)) * 1_000_000 + Int64.random(in: 0..<1_000_000, using: &random)
                level += Double.random(in: -1...1, using: &random) * 17
                stamps.append(time)
                values.append(level)
            }
            let span = window / 64
            // The same answer whether the middle blocks' fold is kept or made afresh.
            var fresh = Instance(accumulator: AlignedAccumulator(span: span), window: window)
            var early = Instance(accumulator: AlignedAccumulator(span: span), window: window)
            var late: Instance?
            let join = min(joinAt, count - 1)
            for index in 0..<count {
                early.slide(to: index, stamps: stamps, values: values)
                fresh.slide(to: index, stamps: stamps, values: values)
                if index == join {
                    // Starts now: loads the window as it stands, then slides like the other.
                    var start = 0
                    while stamps[start] < stamps[index] - window { start += 1 }
                    late = Instance(
                        accumulator: AlignedAccumulator(
                            span: span, start: start, end: index + 1, elements: Elements(values: values, stamps: stamps)),
                        window: window)
                } else if late != nil {
                    late!.slide(to: index, stamps: stamps, values: values)
                }
                if index % 7 == 0 {
                    var copy = fresh
                    #expect(copy.statistics(values, stamps) == early.statistics(values, stamps))
                }
                if var current = late {
                    let (a, b) = (early.statistics(values, stamps), current.statistics(values, stamps))
                    late = current
                    #expect(a == b, "at sample \(index), the instance that joined at \(join) differs")
                    if a != b { return }
                }
            }
        }
    }
}
