import Hummingbird
import Logging

/// Turns every error a route throws into `{"error": "..."}` with a fitting status, including the
/// router's own "no such route", so that clients never have to parse anything else.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound:
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
