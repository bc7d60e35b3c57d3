// Fuzzes what `POST /subscriptions` and `PATCH /subscriptions/{id}` do with a body before anything
// touches a store (SubscriptionsController.object/rule): JSONParser.parse, then
// `AlertRule(json:)` on the body's `rule` (or on the whole document when it has none, so that bare
// rules in the corpus are read too); and `metric_id` as the controller reads it.
//
// Promises checked (AlertRule+JSON.swift, AlertRule.swift):
// - a rule it accepts is within the initializer's bounds (for_samples and resolve_samples
//   1...10000, cooldown 0...604800, k in (0, 1000], min_samples 2...1000000, finite lines,
//   percent in (0, 1000000]);
// - `json` ("what the API answers and the store keeps") is JSON that reads back as the same rule,
//   and writing that again gives the same text (the stored form is a fixed point);
// - a refusal names a field under the caller's path (`body.rule…`).
import MetricsCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAlertRule(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let document = try? JSONParser.parse(bytes) else { return 0 }
    // The controller's reading of metric_id: an integer or a 400, never a trap.
    if let metric = document["metric_id"] { _ = metric.double.flatMap(Int64.init(exactly:)) }
    let ruleValue = document["rule"] ?? document
    let rule: AlertRule
    do {
        rule = try AlertRule(json: ruleValue, path: "body.rule")
    } catch {
        invariant(error.field.hasPrefix("body.rule"), "the error names \(error.field), not a field under body.rule")
        _ = error.description
        return 0
    }
    checkBounds(rule)

    let stored = rule.json
    let reread: AlertRule
    do {
        reread = try AlertRule(json: JSONParser.parse(Array(stored.utf8)))
    } catch {
        fatalError("invariant violated: the rule read from \(shown(bytes)) is stored as \(stored), which does not read back: \(error)")
    }
    invariant(reread == rule, "the rule read from \(shown(bytes)) is stored as \(stored), which reads back as \(reread)")
    invariant(reread.json == stored, "stored \(stored), then \(reread.json)")
    return 0
}

private func checkBounds(_ rule: AlertRule) {
    invariant((1...10_000).contains(rule.forSamples), "for_samples \(rule.forSamples)")
    invariant((1...10_000).contains(rule.resolveSamples), "resolve_samples \(rule.resolveSamples)")
    invariant((0...604_800).contains(rule.cooldownSeconds), "cooldown_seconds \(rule.cooldownSeconds)")
    switch rule.condition {
    case .deviation(let k, _, let minSamples):
        invariant(k.isFinite && k > 0 && k <= 1_000, "k \(k)")
        invariant((2...1_000_000).contains(minSamples), "min_samples \(minSamples)")
    case .threshold(_, let line):
        invariant(line.isFinite, "threshold \(line)")
    case .change(_, let percent, _):
        invariant(percent.isFinite && percent > 0 && percent <= 1_000_000, "percent \(percent)")
    }
}
