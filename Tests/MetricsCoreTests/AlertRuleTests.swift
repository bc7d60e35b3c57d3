import PropertyBased
import Testing

@testable import MetricsCore

/// The alert rules are defined exactly: each verdict is held to a direct computation.
@Suite struct AlertRuleTests {
    /// m and D of `values` in two passes, with compensated sums.
    private func direct(_ values: [Double]) -> (mean: Double, deviation: Double) {
        let mean = Reference.sum(values) / Double(values.count)
        return (mean, Reference.sum(values.map { abs($0 - mean) }) / Double(values.count))
    }

    @Test func theWindowsMeanAndDeviationMatchATwoPassComputation() async {
        await propertyCheck(
            count: 60, input: Gen.int(in: 0...(SeriesFamily.allCases.count - 1)), Gen.int(in: 20...3_000), Gen.uint64()
        ) { familyIndex, count, seed in
            // Samples at irregular spacing into a 10-minute window, so that many leave as many join;
            // repeated values included (the families' constant and stepped series).
            let family = SeriesFamily.allCases[familyIndex]
            var random = SplitMix(seed: seed)
            let values = family.values(steps: (0..<97).map { _ in Double.random(in: -1...1, using: &random) }, count: count)
            let length: Int64 = 600_000_000
            var window = DeviationWindow(length: length)
            var stamps: [Int64] = []
            var first = 0
            var time: Int64 = 1_764_000_000_000_000
            for (index, value) in values.enumerated() {
                time += Int64.random(in: 1...20_000_000, using: &random)
                window.slide(to: time)
                while first < stamps.count, stamps[first] < time - length { first += 1 }
                let held = Array(values[first..<stamps.count])
                #expect(window.count == held.count)
                if !held.isEmpty, index % 7 == 0 {
                    let expected = direct(held)
                    let actual = try #require(window.meanAndDeviation)
                    // Within 1e-9, relative, down to a few ulps of the largest value: a price near
                    // 100,000 is itself known only to 1.5e-11, so no computation of m (and of
                    // |x − m|) is closer than that, the two-pass reference included.
                    let floor = 4 * held.map(abs).max()! * Double.ulpOfOne
                    #expect(abs(actual.mean - expected.mean) <= 1e-9 * abs(expected.mean) + floor, "\(family) mean at \(index)")
                    #expect(
                        abs(actual.deviation - expected.deviation) <= 1e-9 * expected.deviation + floor,
                        "\(family) D at \(index): \(actual.deviation) against \(expected.deviation)")
                }
                window.append(value, at: time)
                stamps.append(time)
            }
        }
    }

    @Test func theOrderedSumsAgreeWithASortedArrayThroughInsertsAndRemovals() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...9).array(of: 1...400), Gen.uint64(), Gen.int(in: 2...9)) {
            raw, seed, blockSize in
            var random = SplitMix(seed: seed)
            // Small blocks, so that they split, empty and merge many times over.
            var sums = OrderedSums(blockSize: blockSize)
            var held: [Double] = []
            for step in raw {
                // Few distinct values, so that duplicates are common.
                let value = Double(step) * 0.5 + 100
                if Bool.random(using: &random), let index = held.firstIndex(of: value) {
                    let removed = sums.remove(value)
                    #expect(removed)
                    held.remove(at: index)
                } else {
                    sums.insert(value)
                    held.append(value)
                }
                #expect(sums.count == held.count)
                let pivot = Double(Int.random(in: 0...10, using: &random)) * 0.5 + 99.75
                let below = held.filter { $0 < pivot }
                let (count, shiftedSum) = sums.below(pivot)
                #expect(count == below.count)
                if let shift = sums.shift {
                    #expect(abs(shiftedSum - below.reduce(0) { $0 + ($1 - shift) }) < 1e-9)
                }
            }
            let removedAbsent = sums.remove(1e9)
            #expect(!removedAbsent, "removing a value that is not there changes nothing")
            #expect(sums.count == held.count)
        }
    }

    @Test func theDeviationRuleFiresAtKTimesTheMeanAbsoluteDeviation() throws {
        // 10 samples alternating 99 and 101: m = 100, D = 1.
        var window = DeviationWindow(length: 3_600_000_000)
        for index in 0..<10 { window.append(index % 2 == 0 ? 99 : 101, at: Int64(index) * 60_000_000) }
        window.slide(to: 600_000_000)
        let rule = AlertCondition.deviation(k: 3, window: .oneHour, minSamples: 10)
        let at = rule.judge(103, after: window)
        #expect(at.holds, "|103 − 100| = 3 = 3·D")
        #expect(at.mean == 100 && at.deviation == 1 && at.samples == 10)
        #expect(!rule.judge(102.999, after: window).holds)
        #expect(rule.judge(97, after: window).holds, "either side")
        #expect(!AlertCondition.deviation(k: 3, window: .oneHour, minSamples: 11).judge(200, after: window).holds, "too few samples")

        var flat = DeviationWindow(length: 3_600_000_000)
        for index in 0..<20 { flat.append(5, at: Int64(index)) }
        #expect(!rule.judge(1_000, after: flat).holds, "D = 0: no spread to compare against")
    }

    @Test func thresholdAndChangeRules() {
        #expect(AlertCondition.threshold(.above, 100).judge(100.01).holds)
        #expect(!AlertCondition.threshold(.above, 100).judge(100).holds)
        #expect(AlertCondition.threshold(.below, 80).judge(79).holds)
        let up = AlertCondition.change(window: .oneHour, percent: 5, direction: .up)
        #expect(up.judge(105, reference: 100).holds)
        #expect(up.judge(105, reference: 100).changePercent == 5)
        #expect(!up.judge(95, reference: 100).holds)
        #expect(AlertCondition.change(window: .oneHour, percent: 5, direction: .down).judge(95, reference: 100).holds)
        #expect(AlertCondition.change(window: .oneHour, percent: 5, direction: .either).judge(95, reference: 100).holds)
        #expect(!up.judge(105, reference: nil).holds, "no sample to compare with")
        #expect(!up.judge(105, reference: 0).holds, "no change relative to zero")
        #expect(
            AlertCondition.change(window: .oneHour, percent: 50, direction: .up).judge(-50, reference: -100).holds,
            "relative to |reference|")
    }

    @Test func aRuleOutsideItsBoundsNamesTheField() {
        #expect(throws: AlertRuleError(field: "rule.k", reason: "must be a number above 0 and at most 1000")) {
            try AlertRule(.deviation(k: 0, window: .oneHour, minSamples: 10))
        }
        #expect(throws: AlertRuleError(field: "rule.min_samples", reason: "must be an integer from 2 to 1000000")) {
            try AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 1))
        }
        #expect(throws: AlertRuleError(field: "rule.above", reason: "must be a finite number")) {
            try AlertRule(.threshold(.above, .infinity))
        }
        #expect(throws: AlertRuleError(field: "rule.percent", reason: "must be a number above 0 and at most 1000000")) {
            try AlertRule(.change(window: .oneDay, percent: -1, direction: .up))
        }
        #expect(throws: AlertRuleError(field: "rule.for_samples", reason: "must be an integer from 1 to 10000")) {
            try AlertRule(.threshold(.above, 1), forSamples: 0)
        }
        #expect(throws: AlertRuleError(field: "rule.cooldown_seconds", reason: "must be an integer from 0 to 604800 (7 days)")) {
            try AlertRule(.threshold(.above, 1), cooldownSeconds: -1)
        }
    }

    @Test func firesAfterForSamplesAndResolvesOnlyAfterResolveSamples() throws {
        let rule = try AlertRule(.threshold(.above, 100), forSamples: 2, resolveSamples: 3, cooldownSeconds: 0)
        var state = AlertState()
        var transitions: [String] = []
        // 1 = holds. A single sample over the line does not fire; a hovering value does not flap.
        let verdicts = [1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1]
        for (second, holds) in verdicts.enumerated() {
            if let transition = state.observe(holds: holds == 1, at: Timestamp(secondsSince1970: Int64(second)), rule: rule) {
                transitions.append("\(second):\(transition.kind.rawValue)#\(transition.episode)")
            }
        }
        #expect(transitions == ["3:alert.firing#1", "11:alert.resolved#1"])
        #expect(state.status == .ok)
    }

    @Test func aFiringHeldBackByTheCooldownIsSentWhenItEndsIfTheAlertStillFires() throws {
        let rule = try AlertRule(.threshold(.above, 100), forSamples: 1, resolveSamples: 1, cooldownSeconds: 900)
        var state = AlertState()
        var sent: [String] = []
        // Fires at 0 and resolves at 60; fires again at 120 and lasts an hour.
        for second in stride(from: Int64(0), through: 3_600, by: 60) {
            let holds = second != 60
            if let transition = state.observe(holds: holds, at: Timestamp(secondsSince1970: second), rule: rule), transition.isSent {
                sent.append("\(second):\(transition.kind.rawValue)#\(transition.episode)")
            }
        }
        #expect(sent == ["0:alert.firing#1", "60:alert.resolved#1", "900:alert.firing#2"])
    }

    @Test func aZeroCooldownSendsEveryFiringEvenForAnEarlierSample() throws {
        let rule = try AlertRule(.threshold(.above, 100), forSamples: 1, resolveSamples: 1, cooldownSeconds: 0)
        var state = AlertState()
        #expect(state.observe(holds: true, at: Timestamp(secondsSince1970: 100), rule: rule)?.isSent == true)
        #expect(state.observe(holds: false, at: Timestamp(secondsSince1970: 101), rule: rule)?.isSent == true)
        #expect(state.observe(holds: true, at: Timestamp(secondsSince1970: 50), rule: rule)?.isSent == true, "a backfilled sample")
    }

    @Test func aFiringWithinTheCooldownIsRecordedButNotSentNorIsItsResolution() throws {
        let rule = try AlertRule(.threshold(.above, 100), forSamples: 1, resolveSamples: 1, cooldownSeconds: 900)
        var state = AlertState()
        func observe(_ holds: Bool, _ second: Int64) -> AlertTransition? {
            state.observe(holds: holds, at: Timestamp(secondsSince1970: second), rule: rule)
        }
        #expect(observe(true, 0) == AlertTransition(kind: .firing, episode: 1, isSent: true))
        #expect(observe(false, 60) == AlertTransition(kind: .resolved, episode: 1, isSent: true))
        #expect(observe(true, 120) == AlertTransition(kind: .firing, episode: 2, isSent: false), "2 minutes after the last one sent")
        #expect(observe(false, 180) == AlertTransition(kind: .resolved, episode: 2, isSent: false))
        #expect(observe(true, 900) == AlertTransition(kind: .firing, episode: 3, isSent: true), "15 minutes after the last one sent")
    }
}
