import Foundation
import MetricsCore

extension JSONValue {
    /// Parses a response body, or says why it is not JSON (an HTML error page, a cut-off body).
    static func parse(_ body: some Collection<UInt8>, upstream: String) throws(UpstreamError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            let start = String(decoding: body.prefix(60), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ")
            throw .malformedBody("\(upstream) did not answer with JSON (body starts \"\(start)\")")
        }
    }

    /// A number sent either as a JSON number or as a decimal string, as most exchanges do.
    func decimal(_ field: String) throws(UpstreamError) -> Double {
        switch self {
        case .number(let value):
            return value
        case .string(let text):
            guard let value = DecimalText.parse(text) else {
                throw .invalidValue(field: field, reason: "\"\(text.prefix(40))\" is not a number")
            }
            return value
        case .null:
            throw .invalidValue(field: field, reason: "is null")
        default:
            throw .invalidValue(field: field, reason: "is not a number")
        }
    }
}

extension Optional where Wrapped == JSONValue {
    /// The document parsed earlier, or the error that parsing `body` gives when there was none.
    func orParsing(_ body: some Collection<UInt8>, upstream: String) throws(UpstreamError) -> JSONValue {
        if let self { return self }
        return try JSONValue.parse(body, upstream: upstream)
    }

    /// The number at `field`, or an error naming the field when it is absent.
    func decimal(_ field: String) throws(UpstreamError) -> Double {
        guard let value = self else { throw .invalidValue(field: field, reason: "is missing") }
        return try value.decimal(field)
    }
}
