import Hummingbird
import Logging

/// Turns every error a route throws into `{"error": "..."}` with a fitting status, including the
/// router's own "no such route", so that clients never have to parse anything else.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The router's routes, to tell a method a route does not take (405) from no route (404).
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    let list = allowed.map(\.rawValue).joined(separator: ", ")
                    var response = APIError(
                        .methodNotAllowed, "\(request.uri.path) does not take \(request.method); it takes \(list)."
                    ).response()
                    response.headers[.allow] = list
                    return response
                }
                message = "No route for \(request.method) \(request.uri.path). The API is described at /openapi.json."
            default:
                message = error.body ?? error.status.reasonPhrase
            }
            return APIError(error.status, message).response()
        } catch {
            context.logger.error("request failed: \(error)", metadata: ["path": "\(request.uri.path)"])
            return APIError(.internalServerError, "Internal error; it has been logged.").response()
        }
    }
}

/// Headers every answer carries, errors included: no content-type sniffing, no referrer sent on.
/// (The dashboard's page adds its Content-Security-Policy; the server names no version.)
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        return response
    }
}
