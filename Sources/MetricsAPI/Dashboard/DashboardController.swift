import HTTPTypes
import Hummingbird
import MetricsCore
import MetricsStore

/// The dashboard: `GET /` (the page, with the overview table written in), `GET /dashboard.js` and
/// `GET /dashboard.css`. The three files are built into the binary (`Dashboard/` in this target,
/// embedded by the package), so nothing is fetched from anywhere else at run time, which the
/// Content-Security-Policy enforces in the browser.
struct DashboardController {
    let statistics: LiveStatistics
    let cache: ResponseCache<ResponseKey>
    let summaries: OverviewSummaries

    /// Only this origin's script, style and connections; no frames, plugins, forms elsewhere or
    /// base URL changes. The favicon is a `data:` image.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// Besides what every answer carries (`SecurityHeadersMiddleware`).
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy,
        // Revalidated each time (the entity tag makes that a 304), so a new release shows at once.
        .cacheControl: "no-cache",
    ]

    /// The page around the table, split at the marker the table goes in.
    private static let shell: (before: String, after: String) = {
        let page = String(decoding: PackageResources.dashboard_html, as: UTF8.self)
        let marker = "<!--overview-table-->"
        guard let range = page.range(of: marker) else { preconditionFailure("dashboard.html has no \(marker)") }
        return (String(page[..<range.lowerBound]), String(page[range.upperBound...]))
    }()

    private static let script = RenderedBody(
        bytes: ByteBuffer(bytes: PackageResources.dashboard_js), contentType: "text/javascript; charset=utf-8",
        headers: securityHeaders)
    private static let style = RenderedBody(
        bytes: ByteBuffer(bytes: PackageResources.dashboard_css), contentType: "text/css; charset=utf-8", headers: securityHeaders)

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/", use: page)
        router.get("dashboard.js") { request, _ in Self.script.response(to: request) }
        router.get("dashboard.css") { request, _ in Self.style.response(to: request) }
    }

    @Sendable func page(_ request: Request, context: some RequestContext) async throws -> Response {
        let parameters = try QueryParameters(request, allowed: ["window", "sort", "order", "page"])
        var query = OverviewTable.Query()
        query.window = try parameters.choice("window", default: StatisticsWindow.default)
        query.sort = try parameters.choice("sort", default: OverviewTable.Column.ticker)
        query.descending = try parameters.choice("order", default: OverviewTable.Order.asc) == .desc
        query.page = try parameters.integer("page", in: 1...1_000_000) ?? 1
        // Past the last page is the last page: one cached body, whatever number was asked.
        let (generation, count) = statistics.read { ($0.generation, $0.metrics.count) }
        query.page = min(query.page, max(1, (count + OverviewTable.rowsPerPage - 1) / OverviewTable.rowsPerPage))
        // Before the first load the page still renders, with a table that says so.
        if let cached = cache.cached(.page(query), generation: generation) { return cached.response(to: request) }
        let (summaries, bookGeneration) = self.summaries.of(query.window)
        return cache.body(for: .page(query), generation: bookGeneration) {
            let table =
                statistics.isLoaded
                ? OverviewTable(query: query, summaries: summaries).html
                : "<p class=\"notice\">The statistics are still loading; reload in a moment.</p>"
            return RenderedBody(
                bytes: ByteBuffer(string: Self.shell.before + table + Self.shell.after), contentType: "text/html; charset=utf-8",
                headers: Self.securityHeaders)
        }.response(to: request)
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
