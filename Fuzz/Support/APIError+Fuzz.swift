// Stand-in for Sources/MetricsAPI/APIError.swift in the metricid harness: the real one carries a
// Hummingbird status and answers a Hummingbird response. MetricID.swift needs only the error it
// throws, so this keeps its message and nothing else.
struct APIError: Error, CustomStringConvertible {
    let message: String

    var description: String { message }

    /// The same message as the real `APIError.invalidMetricID`.
    static func invalidMetricID(_ text: String) -> APIError {
        APIError(message: "Invalid metric ID: \"\(text)\". Must be an integer.")
    }
}
