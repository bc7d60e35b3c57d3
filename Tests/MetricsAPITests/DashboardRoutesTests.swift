import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore
import Testing

/// The dashboard's page, files and `GET /overview`, in-process: what the browser tests cannot see
/// as exactly (headers, the server-written table, the overview's numbers).
@Suite struct DashboardRoutesTests {
    /// Three price metrics a minute apart over two hours, each moving differently, and a volume.
    private func harness() async throws -> APIHarness {
        let harness = APIHarness()
        let count = 121
        try await harness.store("KRAKEN:BTCUSD", .price, (0..<count).map { 100 + Double($0) })
        try await harness.store("KRAKEN:ETHUSD", .price, (0..<count).map { 50 + Double($0 % 7) })
        try await harness.store("ZONDA:BTCPLN", .price, (0..<count).map { 400 - Double($0) / 2 })
        try await harness.store("KRAKEN:BTCUSD", .volume, (0..<count).map { 1_000 + Double($0 * $0) })
        return harness
    }

    @Test func theOverviewMatchesEachMetricsOwnAnswer() async throws {
        try await harness().test { client in
            let overview = try await client.execute(uri: "/overview?window=1h", method: .get)
            #expect(overview.status == .ok)
            #expect(overview.headers[.eTag] != nil)
            let json = try overview.json
            #expect(json["window"]?.string == "1h")
            let metrics = try #require(json["metrics"]?.array)
            #expect(metrics.count == 4)
            for entry in metrics {
                let id = Int(try #require(entry["id"]?.double))
                let detail = try await client.execute(uri: "/metrics/\(id)?window=1h", method: .get).json
                let history = try #require(detail["metric_24h_history"]?.array)
                for field in ["standard_deviation", "coefficient_of_variation", "log_return_volatility", "ticker", "metric_type"] {
                    #expect(entry[field] == detail[field], "\(field) of \(id)")
                }
                #expect(entry["rank"] == detail["metric_rank"])
                #expect(entry["samples"]?.double == Double(history.count))
                #expect(entry["value"] == history.last?["value"])
                #expect(entry["timestamp"] == history.last?["timestamp"])
                // An hour before the newest sample is the 61st from the end.
                let newest = try #require(history.last?["value"]?.double)
                let dayHistory = try #require(
                    try await client.execute(uri: "/metrics/\(id)", method: .get).json["metric_24h_history"]?.array)
                let hourAgo = try #require(dayHistory[dayHistory.count - 61]["value"]?.double)
                #expect(entry["change_1h"]?.double == (newest - hourAgo) / abs(hourAgo) * 100)
                #expect(entry["change_24h"] == .null, "two hours of history hold no value a day old")
                let sparkline = try #require(entry["sparkline"]?.array)
                #expect(sparkline.count == 24)
                #expect(sparkline.last == history.last?["value"])
            }
            let refused = try await client.execute(uri: "/overview?window=2h", method: .get)
            #expect(refused.status == .badRequest)
            #expect(try refused.json["error"]?.string == "Invalid window \"2h\". Use one of: 1h, 24h, 7d.")
        }
    }

    @Test func thePageCarriesTheTableAndAStrictPolicy() async throws {
        try await harness().test { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"))
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            let html = page.text
            #expect(!html.contains("<!--overview-table-->"), "the marker is replaced")
            #expect(html.components(separatedBy: "<tr data-metric-id=").count - 1 == 4)
            #expect(html.contains(#"<td data-field="value" data-value="220.0">220.00</td>"#), "BTCUSD's newest price, exact and shown")
            #expect(!html.contains("<script>") && !html.contains("style=\""), "nothing inline that the policy would block")

            // Sorted by value, highest first: the volume (1000 + 120²), BTCPLN (400 − 60), BTCUSD, ETHUSD (50 + 120 mod 7).
            let sorted = try await client.execute(uri: "/?sort=value&order=desc", method: .get).text
            let values = sorted.components(separatedBy: "data-field=\"value\" data-value=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(values == ["15400.0", "340.0", "220.0", "51.0"])
            #expect(sorted.contains(#"<th scope="col" aria-sort="descending"><a href="/?sort=value&amp;order=asc">Value</a></th>"#))

            let tag = try #require(page.headers[.eTag])
            let again = try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            #expect(again.headers[HTTPField.Name("Content-Security-Policy")!] == policy)

            let refused = try await client.execute(uri: "/?sort=colour", method: .get)
            #expect(refused.status == .badRequest)
            #expect(try refused.json["error"]?.string?.hasPrefix("Invalid sort \"colour\". Use one of: ticker, metric_type, value") == true)
        }
    }

    @Test func fiftyRowsAPageWithLinksBetweenThemUnder150KB() async throws {
        let harness = APIHarness()
        for index in 0..<120 {
            try await harness.store("KRAKEN:T\(String(format: "%03d", index))USD", .price, [Double(index + 1), Double(index + 2)])
        }
        try await harness.test { client in
            let first = try await client.execute(uri: "/", method: .get).text
            #expect(first.components(separatedBy: "<tr data-metric-id=").count - 1 == 50)
            #expect(first.contains("Page 1 of 3.") && first.contains(#"<a rel="next" href="/?sort=ticker&amp;order=asc&amp;page=2">"#))
            let last = try await client.execute(uri: "/?page=3", method: .get).text
            #expect(last.components(separatedBy: "<tr data-metric-id=").count - 1 == 20)
            #expect(last.contains("KRAKEN:T119USD") && !last.contains("KRAKEN:T000USD"))
            #expect(last.contains(#"<a rel="prev" href="/?sort=ticker&amp;order=asc&amp;page=2">"#))
            // The issue's bound on the whole page before compression, with a full page of rows.
            var total = first.utf8.count
            for path in ["/dashboard.js", "/dashboard.css"] {
                total += try await client.execute(uri: path, method: .get).body.readableBytes
            }
            #expect(total < 150 * 1024, "the page, its script and its style come to \(total) bytes")
        }
    }

    @Test func thePageScriptAndStyleAreServedWithTags() async throws {
        try await harness().test { client in
            for (path, type) in [
                ("/", "text/html; charset=utf-8"), ("/dashboard.js", "text/javascript; charset=utf-8"),
                ("/dashboard.css", "text/css; charset=utf-8"),
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                let tag = try #require(response.headers[.eTag])
                #expect(try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: tag]).status == .notModified)
            }
        }
    }
}
