import Hummingbird
import MetricsStore

/// The API key a request is made with (`Authorization: Bearer KEY`): what the subscription routes
/// require, and what makes `GET /stream` carry the key's alerts.
enum BearerKey {
    static let refusal = APIError(
        .unauthorized, "This endpoint needs Authorization: Bearer KEY, with an active key (cryptometrics keys create --name NAME).")

    /// Whether the request names a key at all.
    static func isPresented(in request: Request) -> Bool { request.headers[.authorization] != nil }

    /// The id of the active key the request is made with, or a 401 that says how to get one.
    static func owner(of request: Request, keys: any APIKeyStore) async throws -> Int64 {
        // The scheme's name is case-insensitive (RFC 9110).
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            let secret = APIKeySecret(presented: header.dropFirst("Bearer ".count))
        else { throw refusal }
        guard let key = try await keys.activeKey(hash: secret.hash) else { throw refusal }
        return key.id
    }
}
