import Foundation
import HTTPTypes
import Hummingbird

/// Lets pages from the configured origins call the API from a browser (CORS). Off unless an
/// operator names origins: without it a browser lets no other site read the API's answers, which
/// is the safe default for a service with write endpoints.
///
/// An allowed origin's preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here
/// with 204, before routing; its other requests go through and get the origin back in
/// `Access-Control-Allow-Origin`. A request from any other origin is answered as if CORS did not
/// exist, so the browser keeps the answer from the page. No cookies are involved (keys travel in
/// `Authorization`), so credentials are never allowed.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: CrossOriginPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], let allowed = origins.allowedValue(for: origin) else {
            var response = try await next(request, context)
            // With a list of origins, the answer to one without CORS headers differs from the
            // answer to a listed origin: a shared cache must not give one for the other.
            if !origins.allowsAny { Self.varyByOrigin(&response.headers) }
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: allowed,
                .accessControlAllowMethods: "GET, HEAD, POST, PATCH, DELETE",
                .accessControlAllowHeaders: "Authorization, Content-Type, If-None-Match, Last-Event-ID",
                .accessControlMaxAge: "600",
            ]
            if !origins.allowsAny { Self.varyByOrigin(&headers) }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowed
        if !origins.allowsAny { Self.varyByOrigin(&response.headers) }
        response.headers[.accessControlExposeHeaders] = "Location, Retry-After, ETag"
        return response
    }

    /// Adds `Origin` to `Vary`, beside what a route put there.
    private static func varyByOrigin(_ headers: inout HTTPFields) {
        let named = headers[values: .vary].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !named.contains(where: { $0.caseInsensitiveCompare("Origin") == .orderedSame || $0 == "*" }) else { return }
        headers.append(HTTPField(name: .vary, value: "Origin"))
    }
}

/// The origins that may call the API from a browser: exact origins (`https://dash.example.com`),
/// or `*` for any.
public struct CrossOriginPolicy: Sendable, Equatable {
    public let origins: Set<String>

    public init(origins: some Sequence<String>) {
        self.origins = Set(origins)
    }

    /// No origin: CORS off.
    public static let off = CrossOriginPolicy(origins: [])

    public var isOff: Bool { origins.isEmpty }

    /// Whether any origin may call (`*`): then no answer depends on the caller's origin.
    var allowsAny: Bool { origins.contains("*") }

    /// What `Access-Control-Allow-Origin` says to `origin`, or `nil` when it may not call.
    func allowedValue(for origin: String) -> String? {
        if allowsAny { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// Why `text` is not an origin (`scheme://host[:port]`, nothing after), or `nil` when it is
    /// one or `*`.
    public static func problem(with text: String) -> String? {
        if text == "*" { return nil }
        guard let separator = text.range(of: "://") else { return "\"\(text)\" is not an origin such as https://dash.example.com or *" }
        let scheme = text[..<separator.lowerBound]
        let authority = text[separator.upperBound...]
        guard scheme == "http" || scheme == "https" else { return "\"\(text)\": an origin's scheme is http or https" }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else {
            return "\"\(text)\": an origin is scheme://host[:port] with nothing after it (no path, not even /)"
        }
        return nil
    }
}

extension HTTPField.Name {
    static let accessControlRequestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let accessControlAllowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let accessControlAllowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let accessControlAllowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let accessControlExposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let accessControlMaxAge = HTTPField.Name("Access-Control-Max-Age")!
}
