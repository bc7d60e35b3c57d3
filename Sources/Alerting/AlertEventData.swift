import MetricsCore
import MetricsStore

/// The `data` object of an alert's webhook: which subscription and metric, the rule, and the
/// figures that decided it. Written once, when the event is recorded, and kept as text, so that
/// every attempt sends the same bytes.
///
/// `{"subscription_id", "episode", "metric_id", "ticker", "metric_type", "rule", "value",
/// "sample_time"}`, with `m`, `D` and `samples` for the deviation rule and `reference` and
/// `change_percent` for the change rule.
struct AlertEventData {
    let subscription: Subscription
    let metric: Metric
    let episode: Int
    let judgement: AlertJudgement
    let sampleTime: Timestamp

    var json: String {
        var fields: [(String, String)] = [
            ("subscription_id", "\(subscription.id)"),
            ("episode", "\(episode)"),
            ("metric_id", "\(metric.id)"),
            ("ticker", Self.string(metric.ticker.description)),
            ("metric_type", Self.string(metric.type.rawValue)),
            ("rule", subscription.rule.json),
            ("value", Self.number(judgement.value)),
        ]
        if let mean = judgement.mean { fields.append(("m", Self.number(mean))) }
        if let deviation = judgement.deviation { fields.append(("D", Self.number(deviation))) }
        if let samples = judgement.samples { fields.append(("samples", "\(samples)")) }
        if let reference = judgement.reference { fields.append(("reference", Self.number(reference))) }
        if let change = judgement.changePercent { fields.append(("change_percent", Self.number(change))) }
        fields.append(("sample_time", Self.string(sampleTime.rfc3339)))
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Swift's shortest text that reads back exactly; the values are finite (the store refuses
    /// others, and m and D are means of them).
    private static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    private static func string(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case let control where control.value < 0x20:
                escaped +=
                    "\\u" + String(repeating: "0", count: 4 - String(control.value, radix: 16).count) + String(control.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
