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

/// A response body parsed once: the document when the body is JSON, and why it is not otherwise.
/// An exchange may explain an error in a JSON body or answer it with an HTML page, so an adapter
/// looks for the exchange's own error in ``document`` first, and requires the document after.
struct ParsedBody {
    let document: JSONValue?
    private let failure: UpstreamError?

    init(_ body: some Collection<UInt8>, upstream: String) {
        do throws(UpstreamError) {
            document = try JSONValue.parse(body, upstream: upstream)
            failure = nil
        } catch {
            document = nil
            failure = error
        }
    }

    /// The document, or why the body is not JSON.
    func json() throws(UpstreamError) -> JSONValue {
        if let document { return document }
        throw failure ?? .malformedBody("the body is not JSON")
    }
}

extension Optional where Wrapped == JSONValue {
    /// The number at `field`, or an error naming the field when it is absent.
    func decimal(_ field: String) throws(UpstreamError) -> Double {
        guard let value = self else { throw .invalidValue(field: field, reason: "is missing") }
        return try value.decimal(field)
    }
}

/// How an exchange counts time since 1970 in its answers.
enum EpochUnit {
    case seconds
    case milliseconds

    var microseconds: Double {
        switch self {
        case .seconds: 1_000_000
        case .milliseconds: 1_000
        }
    }
}

extension JSONValue {
    /// The latest instant any answer can plausibly name: 2100-01-01T00:00:00Z. A time beyond it is
    /// a unit mistake (milliseconds read as seconds), not a date.
    static let latestPlausibleSeconds: Double = 4_102_444_800

    /// An instant sent as a count of `unit` since 1970, as a JSON number or a decimal string (ccxt's
    /// captures turn Binance's and Gemini's integer times into strings, so both are accepted).
    func epochTime(_ field: String, unit: EpochUnit) throws(UpstreamError) -> Timestamp {
        let value = try decimal(field)
        let microseconds = (value * unit.microseconds).rounded()
        guard microseconds >= 0, microseconds <= Self.latestPlausibleSeconds * 1_000_000 else {
            throw .invalidValue(field: field, reason: "\(value) is not a plausible time in \(unit)")
        }
        return Timestamp(microsecondsSince1970: Int64(microseconds))
    }
}

extension Optional where Wrapped == JSONValue {
    /// The instant at `field`, or an error naming the field when it is absent.
    func epochTime(_ field: String, unit: EpochUnit) throws(UpstreamError) -> Timestamp {
        guard let value = self else { throw .invalidValue(field: field, reason: "is missing") }
        return try value.epochTime(field, unit: unit)
    }

    /// The instant at `field` when the answer has one: `nil` when it is absent, an error when it is
    /// there but not a time, so that a broken clock field is never mistaken for a missing one.
    func optionalEpochTime(_ field: String, unit: EpochUnit) throws(UpstreamError) -> Timestamp? {
        guard let value = self, value != .null else { return nil }
        return try value.epochTime(field, unit: unit)
    }
}
