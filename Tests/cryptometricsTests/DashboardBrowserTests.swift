import AsyncHTTPClient
import Foundation
import MetricsCore
import TestSupport
import Testing

extension ProcessSuites {
    /// The dashboard in a real browser (Debian's chromium, headless, through chromedriver), against
    /// `cryptometrics serve --source simulated` as a user starts it: the overview shows the API's
    /// metrics and values, a chart draws as many points as the API returns and the window switch
    /// changes them, samples arrive through the stream, and no view writes an error to the console.
    @Suite(
        .serialized, .timeLimit(.minutes(5)),
        .enabled(if: HeadlessChromium.isAvailable || TestPostgres.isCI, Comment(rawValue: HeadlessChromium.skipReason))
    )
    struct DashboardBrowserTests {
        /// Runs the simulated service on a free port with a fresh SQLite file until `body` returns,
        /// once it serves metrics, and opens a browser beside it.
        private func withDashboard(
            pollInterval: Int = 1, height: Int = 900, _ body: (String, BrowserSession) async throws -> Void
        ) async throws {
            try await withTemporaryDirectory { directory in
                let service = try RunningProcess(
                    [
                        "serve", "--source", "simulated", "--poll-interval", "\(pollInterval)", "--port", "0", "--database",
                        directory.appendingPathComponent("dashboard.sqlite").path,
                    ], in: directory)
                defer { service.signal(SIGKILL) }
                let port = try #require(try await service.apiPort(), "the service did not start: \(service.log)")
                let base = "http://127.0.0.1:\(port)"
                let listed = try await eventually(within: .seconds(60)) {
                    (try? await Self.json(base + "/overview"))?["metrics"]?.array.flatMap { $0.isEmpty ? nil : $0 }
                }
                try #require(listed != nil, "no metrics served: \(service.log)")
                try await HeadlessChromium.withSession(height: height, in: directory) { browser in try await body(base, browser) }
            }
        }

        private static func json(_ url: String) async throws -> JSONValue {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status.code == 200 else { throw WebDriverError(message: "\(url) answered \(response.status.code)") }
            return try JSONParser.parse(body.readableBytesView)
        }

        /// Errors the page wrote to its console.
        private func errors(_ browser: BrowserSession) async throws -> [String] {
            try await browser.console().filter { $0.level == "SEVERE" }.map(\.message)
        }

        @Test func theOverviewListsEveryMetricWithTheValuesTheAPIServes() async throws {
            // Tall enough that the virtualized table shows all 20 rows at once.
            try await withDashboard(height: 2_400) { base, browser in
                try await browser.open(base + "/")
                #expect(
                    try await browser.waitUntil(
                        "document.documentElement.dataset.view === 'overview' && document.documentElement.dataset.ready === 'true'"))
                let metrics = try #require(try await Self.json(base + "/metrics")["metrics"]?.array)
                let shown = try #require(
                    try await browser.evaluate(
                        """
                        return [...document.querySelectorAll('tr[data-metric-id]')].map(row => [
                          Number(row.dataset.metricId),
                          row.querySelector('td[data-field="ticker"]').textContent.trim(),
                          row.querySelector('td[data-field="value"]').dataset.value]);
                        """) as? [[Any]])
                #expect(shown.count == metrics.count, "one row per metric")
                for row in shown {
                    let id = try #require(row[0] as? Int)
                    let ticker = try #require(row[1] as? String)
                    // As text, read by Swift: Foundation's JSON reader may round a number's last bit.
                    let value = try #require((row[2] as? String).flatMap(Double.init))
                    let metric = try #require(metrics.first { $0["id"]?.double == Double(id) })
                    #expect(metric["ticker"]?.string == ticker)
                    // The page follows the stream, so its value is one of the newest few the API holds.
                    let history = try #require(try await Self.json(base + "/metrics/\(id)?window=1h")["metric_24h_history"]?.array)
                    let recent = history.suffix(30).compactMap { $0["value"]?.double }
                    #expect(recent.contains(value), "metric \(id) shows \(value), not among its recent values")
                }
                #expect(try await errors(browser) == [])
            }
        }

        @Test func aChartDrawsThePointsTheAPIReturnsAndTheWindowSwitchChangesThem() async throws {
            // A cycle an hour: after the first, no sample arrives while the page and the API are
            // compared. The hour's window still slides (a backfilled point leaves it each minute), so
            // a comparison that straddles that moment loads the page again and compares afresh.
            try await withDashboard(pollInterval: 3_600) { base, browser in
                var counts: [String: Int] = [:]
                for window in ["24h", "1h", "7d"] {
                    let agreed = try await eventually(within: .seconds(60), every: .milliseconds(100)) { () -> Int? in
                        try await browser.open(base + "/#/metric/1")
                        guard try await browser.waitUntil("document.documentElement.dataset.ready === 'true'") else { return nil }
                        if window != "24h" {
                            _ = try await browser.evaluate(
                                "document.querySelector('button[data-window=\"\(window)\"]').click(); return true;")
                        }
                        guard
                            try await browser.waitUntil(
                                "document.documentElement.dataset.ready === 'true' && document.querySelector('button[data-window=\"\(window)\"]').getAttribute('aria-pressed') === 'true' && document.querySelector('#chart[data-points]')"
                            ),
                            let drawn = try await browser.evaluate("return Number(document.querySelector('#chart').dataset.points);")
                                as? Int,
                            let maxPoints = try await browser.evaluate("return Number(document.querySelector('#chart').dataset.maxPoints);")
                                as? Int
                        else { return nil }
                        let history = try await Self.json(base + "/metrics/1?window=\(window)&max_points=\(maxPoints)")[
                            "metric_24h_history"]?
                            .array
                        return history?.count == drawn ? drawn : nil
                    }
                    counts[window] = try #require(agreed, "the \(window) chart never drew as many points as the API returned")
                }
                // The simulated day is backfilled a point a minute, so an hour holds far fewer.
                #expect(try #require(counts["1h"]) < (try #require(counts["24h"])))
                #expect(try await errors(browser) == [])
            }
        }

        @Test func newSamplesReachThePageThroughTheStream() async throws {
            try await withDashboard { base, browser in
                try await browser.open(base + "/")
                #expect(
                    try await browser.waitUntil(
                        "document.documentElement.dataset.stream === 'live' && document.documentElement.dataset.ready === 'true'"))
                let started = Timestamp.now
                let before = try #require(
                    try await browser.evaluate("return Number(document.documentElement.dataset.samplesReceived);") as? Int)
                // A cycle a second: the next sample's event arrives well within the deadline, whose
                // length only bounds a test on a loaded machine (the latency is measured in
                // scripts/bench-stream).
                #expect(
                    try await browser.waitUntil(
                        "Number(document.documentElement.dataset.samplesReceived) > \(before)", within: .seconds(60)))
                // The row of the metric shows a value the API holds for a sample taken after the start
                // (one of the newest few: the page and the API need not be read at the same instant).
                let shown = try await eventually(within: .seconds(60), every: .milliseconds(200)) { () -> Bool? in
                    let history = try await Self.json(base + "/metrics/1?window=1h")["metric_24h_history"]?.array ?? []
                    let values = history.suffix(30).compactMap { sample -> Double? in
                        guard let time = sample["timestamp"]?.string.flatMap({ try? Timestamp(rfc3339: $0) }), time > started else {
                            return nil
                        }
                        return sample["value"]?.double
                    }
                    let onPage =
                        (try await browser.evaluate(
                            "return document.querySelector('tr[data-metric-id=\"1\"] td[data-field=\"value\"]').dataset.value;") as? String)
                        .flatMap(Double.init)
                    return onPage.map(values.contains) == true ? true : nil
                }
                #expect(shown == true, "the page never showed metric 1's newest value")
                #expect(try await errors(browser) == [])
            }
        }

        @Test func noViewWritesAnErrorToTheConsole() async throws {
            try await withDashboard { base, browser in
                for (route, view) in [("/#/", "overview"), ("/#/metric/3", "metric"), ("/#/rankings", "rankings"), ("/#/status", "status")]
                {
                    try await browser.open(base + route)
                    #expect(
                        try await browser.waitUntil(
                            "document.documentElement.dataset.view === '\(view)' && document.documentElement.dataset.ready === 'true'"),
                        "\(route) did not render")
                    #expect(try await errors(browser) == [], "\(route)")
                }
                // Without JavaScript's help the server's own table is there too, in the page's source.
                let source = try #require(try await browser.evaluate("return fetch('/').then(r => r.text());") as? String)
                #expect(source.contains("<table class=\"metrics\">"))
            }
        }
    }
}
