import Foundation
import Hummingbird

/// JSON responses with the original API's conventions: keys sorted (Flask's `jsonify` sorted them,
/// and clients diffing responses rely on it), `null` written out, UTF-8.
enum JSONBody {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        do {
            let data = try encoder.encode(value)
            return response(bytes: data, status: status)
        } catch {
            // Every body type here encodes; this is only reachable through a programming error.
            return Response(
                status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"could not encode the response"}"#)))
        }
    }

    static func response(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
