import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each route takes, read from the router once every route is added, so that a
/// request for a route with a method it does not take is answered `405` with `Allow` (RFC 9110)
/// rather than `404`, which would say the resource does not exist.
final class RouteMethods: Sendable {
    private struct Route: Sendable {
        let path: RouterPath
        var methods: Set<HTTPRequest.Method>
    }

    private let routes = Mutex<[Route]>([])

    /// Takes the router's routes; call it after the last route is added.
    func read(_ router: Router<some RequestContext>) {
        var found: [Route] = []
        for route in router.routes {
            if let index = found.firstIndex(where: { $0.path == route.path }) {
                found[index].methods.insert(route.method)
            } else {
                found.append(Route(path: route.path, methods: [route.method]))
            }
        }
        routes.withLock { $0 = found }
    }

    /// The methods the route at `path` takes, sorted; empty when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        var methods = routes.withLock { routes in
            routes.filter { Self.path($0.path, matches: segments) }.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion($1.methods) }
        }
        // The router answers HEAD wherever it answers GET (autoGenerateHeadEndpoints).
        if methods.contains(.get) { methods.insert(.head) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    private static func path(_ pattern: RouterPath, matches segments: [Substring]) -> Bool {
        var index = 0
        for element in pattern.components {
            if element == .recursiveWildcard { return true }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}
