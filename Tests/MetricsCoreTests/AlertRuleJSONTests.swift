import Testing

@testable import MetricsCore

/// Rules as the API takes them: defaults filled in, written back in one canonical form, and every
/// mistake named by its field.
@Suite struct AlertRuleJSONTests {
    private func rule(_ text: String) throws -> AlertRule {
        try AlertRule(json: try JSONParser.parse(Array(text.utf8)))
    }

    private func refusal(_ text: String) -> AlertRuleError? {
        do {
            _ = try rule(text)
            return nil
        } catch let error as AlertRuleError {
            return error
        } catch {
            Issue.record("not a rule error: \(error)")
            return nil
        }
    }

    @Test func readsEachKindWithItsDefaultsAndWritesItBackTheSame() throws {
        let deviation = try rule(#"{"kind": "deviation"}"#)
        #expect(deviation.condition == .deviation(k: 3, window: .oneHour, minSamples: 10))
        #expect(deviation.forSamples == 1 && deviation.resolveSamples == 5 && deviation.cooldownSeconds == 900)
        #expect(
            deviation.json
                == #"{"kind":"deviation","k":3,"window":"1h","min_samples":10,"for_samples":1,"resolve_samples":5,"cooldown_seconds":900}"#)

        let threshold = try rule(#"{"kind": "threshold", "below": 80000.5, "cooldown_seconds": 0}"#)
        #expect(threshold.condition == .threshold(.below, 80000.5) && threshold.cooldownSeconds == 0)
        #expect(threshold.json == #"{"kind":"threshold","below":80000.5,"for_samples":1,"resolve_samples":5,"cooldown_seconds":0}"#)

        let change = try rule(#"{"kind": "change", "window": "24h", "percent": 2.5, "direction": "down", "for_samples": 3}"#)
        #expect(change.condition == .change(window: .oneDay, percent: 2.5, direction: .down) && change.forSamples == 3)
        #expect(
            try rule(#"{"kind": "change", "window": "7d", "percent": 5}"#).condition
                == .change(window: .sevenDays, percent: 5, direction: .either))

        for written in [deviation, threshold, change] {
            #expect(try rule(written.json) == written, "\(written.json) reads back as itself")
        }
    }

    @Test func everyMistakeNamesItsField() {
        let cases: [(String, String, String)] = [
            (#"[1]"#, "rule", "must be an object"),
            (#"{}"#, "rule.kind", "is required"),
            (#"{"kind": 3}"#, "rule.kind", "must be a string"),
            (#"{"kind": "spike"}"#, "rule.kind", #"must be "deviation", "threshold" or "change", not "spike""#),
            (#"{"kind": "deviation", "K": 3}"#, "rule.K", "is not a field of a deviation rule"),
            (#"{"kind": "deviation", "k": "3"}"#, "rule.k", "must be a number"),
            (#"{"kind": "deviation", "k": null}"#, "rule.k", "must be a number, not null; leave it out for its default"),
            (#"{"kind": "threshold", "above": 1, "cooldown_seconds": null}"#, "rule.cooldown_seconds", "must be a number, not null"),
            (#"{"kind": "deviation", "window": null}"#, "rule.window", "must be a string, not null"),
            (#"{"kind": "deviation", "k": -1}"#, "rule.k", "must be a number above 0"),
            (#"{"kind": "deviation", "window": "2h"}"#, "rule.window", #"must be 1h, 24h or 7d, not "2h""#),
            (#"{"kind": "deviation", "min_samples": 2.5}"#, "rule.min_samples", "must be a whole number"),
            (#"{"kind": "threshold"}"#, "rule.above", "or rule.below is required"),
            (#"{"kind": "threshold", "above": 1, "below": 2}"#, "rule.above", "cannot both be given"),
            (#"{"kind": "threshold", "above": 1, "window": "1h"}"#, "rule.window", "is not a field of a threshold rule"),
            (#"{"kind": "change", "percent": 5}"#, "rule.window", "is required"),
            (#"{"kind": "change", "window": "1h"}"#, "rule.percent", "is required"),
            (#"{"kind": "change", "window": "1h", "percent": 5, "direction": "sideways"}"#, "rule.direction", "must be \"up\""),
            (#"{"kind": "change", "window": "1h", "percent": 0}"#, "rule.percent", "must be a number above 0"),
            (#"{"kind": "threshold", "above": 1, "for_samples": 0}"#, "rule.for_samples", "from 1 to 10000"),
            (#"{"kind": "threshold", "above": 1, "cooldown_seconds": 1e9}"#, "rule.cooldown_seconds", "from 0 to 604800"),
        ]
        for (text, field, reason) in cases {
            let error = refusal(text)
            #expect(error?.field == field, "\(text): \(String(describing: error))")
            #expect(error?.reason.contains(reason) == true, "\(text): \(String(describing: error))")
        }
    }

    @Test func errorsFollowTheCallersPath() {
        #expect(throws: AlertRuleError(field: "body.rule.for_samples", reason: "must be an integer from 1 to 10000")) {
            try AlertRule(
                json: try JSONParser.parse(Array(#"{"kind": "threshold", "above": 1, "for_samples": 0}"#.utf8)), path: "body.rule")
        }
    }
}
