import Foundation
import Hummingbird
import HummingbirdTesting
import MetricsAPI
import MetricsCore
import MetricsStore
import Testing

/// What the API added to the original: windows, custom ranges, downsampling, rankings and ETags.
@Suite struct StatisticsRoutesTests {
    private func get(_ client: some TestClientProtocol, _ uri: String) async throws -> (status: Int, json: JSONValue) {
        try await client.execute(uri: uri, method: .get) { response in (Int(response.status.code), try response.json) }
    }

    private func values(_ json: JSONValue) -> [Double] {
        json["metric_24h_history"]?.array?.compactMap { $0["value"]?.double } ?? []
    }

    @Test func eachWindowServesItsOwnHistoryAndStatistics() async throws {
        try await APIHarness.with { api in
            // One sample an hour for three days: 2 in the last hour, 25 in 24 hours, all 72 in 7 days.
            let hourly = (0..<72).map { Double($0 % 5) + 10 }
            let key = MetricKey(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), type: .price)
            for (index, value) in hourly.enumerated() {
                try await api.store.record(
                    [key: value], at: APIHarness.now.adding(seconds: -Double(71 - index) * 3_600), origin: .polled(from: "test"))
            }
            try await api.test { client in
                for (window, count) in [("1h", 2), ("24h", 25), ("7d", 72)] {
                    let (status, json) = try await get(client, "/metrics/1?window=\(window)")
                    #expect(status == 200)
                    #expect(json["window"] == .string(window))
                    let expected = Array(hourly.suffix(count))
                    #expect(values(json) == expected, "\(window)")
                    let deviation = try #require(json["standard_deviation"]?.double)
                    let mean = expected.reduce(0, +) / Double(expected.count)
                    let reference = (expected.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(expected.count - 1)).squareRoot()
                    #expect(abs(deviation - reference) <= 1e-12, "\(window)")
                    #expect(json["coefficient_of_variation"]?.double.map { abs($0 - reference / mean) <= 1e-12 } == true)
                    #expect(json["metric_rank"] == .string("1/1"))
                }
                let (_, plain) = try await get(client, "/metrics/1")
                #expect(plain["window"] == .string("24h"), "the original's window stays the default")
                #expect(values(plain).count == 25)
            }
        }
    }

    @Test func logReturnVolatilityNeedsThreePositiveSamples() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [100, 110, 99])
            try await api.store("KRAKEN:BTCUSD", .volume, [5, 0, 7])
            try await api.store("KRAKEN:ETHUSD", .price, [1, 2])
            try await api.test { client in
                let (_, price) = try await get(client, "/metrics/1")
                let returns = [log(110.0 / 100), log(99.0 / 110)]
                let mean = (returns[0] + returns[1]) / 2
                let expected = (((returns[0] - mean) * (returns[0] - mean) + (returns[1] - mean) * (returns[1] - mean)) / 1).squareRoot()
                #expect(price["log_return_volatility"]?.double.map { abs($0 - expected) <= 1e-12 } == true)
                #expect(try await get(client, "/metrics/2").json["log_return_volatility"] == .null, "a volume of 0 has no log return")
                let (_, short) = try await get(client, "/metrics/3")
                #expect(short["log_return_volatility"] == .null, "two samples make one return")
                #expect(short["standard_deviation"] != .null)
            }
        }
    }

    @Test func aCustomRangeIsComputedOnDemandWithoutARank() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3, 4, 5, 6], endingSecondsAgo: 40 * 86_400)
            try await api.store("KRAKEN:ETHUSD", .price, [7, 8])
            try await api.test { client in
                // Forty days ago, far outside every window.
                let end = APIHarness.now.adding(seconds: -40 * 86_400)
                let from = end.adding(seconds: -180).rfc3339
                let (status, json) = try await get(client, "/metrics/1?from=\(from)&to=\(end.rfc3339)")
                #expect(status == 200)
                #expect(values(json) == [3, 4, 5, 6], "both ends included")
                #expect(json["window"] == .string("custom"))
                #expect(json["from"] == .string(from))
                #expect(json["to"] == .string(end.rfc3339))
                #expect(json["metric_rank"] == .null)
                #expect(json["standard_deviation"]?.double.map { abs($0 - (5.0 / 3.0).squareRoot()) <= 1e-12 } == true)
                // Offsets are applied; the same instant written in another zone gives the same answer.
                let shifted = from.replacingOccurrences(of: "Z", with: "+00:00")
                #expect(
                    try await get(client, "/metrics/1?from=\(shifted.replacingOccurrences(of: "+", with: "%2B"))&to=\(end.rfc3339)").json
                        == json)
                let unencoded = try await get(client, "/metrics/1?from=\(shifted)&to=\(end.rfc3339)").json
                #expect(unencoded == json, "a + left unencoded is a + (query strings are not form-decoded)")
                #expect(try await get(client, "/metrics/99?from=\(from)&to=\(end.rfc3339)").status == 404)
            }
        }
    }

    @Test func badQueriesAreRefusedWithWhatToFix() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2])
            try await api.test { client in
                let cases: [(String, String)] = [
                    ("/metrics/1?window=2h", "Invalid window \"2h\". Use one of: 1h, 24h, 7d."),
                    (
                        "/metrics/1?windw=1h",
                        "Unknown query parameter \"windw\". This endpoint takes \"window\", \"from\", \"to\", \"max_points\"."
                    ),
                    ("/metrics/1?from=2026-11-25T00:00:00Z", "Give both from and to for a custom range."),
                    (
                        "/metrics/1?window=1h&from=2026-11-25T00:00:00Z&to=2026-11-25T01:00:00Z",
                        "Give either window or from and to, not both."
                    ),
                    (
                        "/metrics/1?from=yesterday&to=2026-11-25T01:00:00Z",
                        "Invalid from \"yesterday\". Use an RFC 3339 timestamp such as 2026-11-25T12:00:00Z."
                    ),
                    (
                        "/metrics/1?from=2026-11-25T02:00:00Z&to=2026-11-25T01:00:00Z",
                        "The range ends before it starts: from 2026-11-25T02:00:00Z is after to 2026-11-25T01:00:00Z."
                    ),
                    (
                        "/metrics/1?from=2026-01-01T00:00:00Z&to=2026-11-25T01:00:00Z",
                        "The range is longer than 31 days; ask for a shorter one."
                    ),
                    ("/metrics/1?max_points=1", "Invalid max_points \"1\". Use an integer from 2 to 1000000."),
                    ("/metrics/1?max_points=ten", "Invalid max_points \"ten\". Use an integer from 2 to 1000000."),
                    ("/metrics?window=1h", "Unknown query parameter \"window\". This endpoint takes no query parameters."),
                    ("/metrics?x=1", "Unknown query parameter \"x\". This endpoint takes no query parameters."),
                    ("/metrics/1?window=24h&window=1h", "Query parameter \"window\" is given more than once. Give it once."),
                    ("/rankings?limit=5&limit=5", "Query parameter \"limit\" is given more than once. Give it once."),
                    ("/rankings?metric_type=volatility", "Invalid metric_type \"volatility\". Use one of: price, volume."),
                    ("/rankings?by=variance", "Invalid by \"variance\". Use one of: stddev, cv, log_return_volatility."),
                    ("/rankings?limit=5000", "Invalid limit \"5000\". Use an integer from 0 to 1000."),
                    ("/rankings?offset=-1", "Invalid offset \"-1\". Use an integer from 0 to 2147483647."),
                ]
                for (uri, message) in cases {
                    let (status, json) = try await get(client, uri)
                    #expect(status == 400, "\(uri)")
                    #expect(json == .object(["error": .string(message)]), "\(uri)")
                }
            }
        }
    }

    @Test func downsamplingKeepsTheEndsAndTheStatisticsOfEverySample() async throws {
        try await APIHarness.with { api in
            let values = (0..<1_440).map { 100 + sin(Double($0) / 40) * 10 + Double($0 % 7) }
            try await api.store("KRAKEN:BTCUSD", .price, values)
            try await api.test { client in
                let (_, full) = try await get(client, "/metrics/1")
                let (status, thin) = try await get(client, "/metrics/1?max_points=100")
                #expect(status == 200)
                let kept = try #require(thin["metric_24h_history"]?.array)
                let all = try #require(full["metric_24h_history"]?.array)
                #expect(kept.count == 100)
                #expect(kept.first == all.first && kept.last == all.last)
                #expect(kept.allSatisfy { all.contains($0) }, "only real samples")
                #expect(thin["standard_deviation"] == full["standard_deviation"], "statistics over every sample")
                #expect(thin["metric_rank"] == full["metric_rank"])
                let (_, more) = try await get(client, "/metrics/1?max_points=5000")
                #expect(more == full, "asking for more points than there are returns them all")
            }
        }
    }

    @Test func rankingsOrderByTheChosenMeasureAndPage() async throws {
        try await APIHarness.with { api in
            // Dollar spread and relative spread disagree: BTC moves most in dollars, DOGE relatively.
            try await api.store("KRAKEN:BTCUSD", .price, [90_000, 90_100, 89_950, 90_050])
            try await api.store("KRAKEN:DOGEUSD", .price, [0.1, 0.12, 0.09, 0.11])
            try await api.store("KRAKEN:ETHUSD", .price, [3_000, 3_010, 2_995, 3_005])
            try await api.store("KRAKEN:LTCUSD", .price, [80])
            try await api.store("KRAKEN:BTCUSD", .volume, [1, 2])
            try await api.test { client in
                let (status, byDeviation) = try await get(client, "/rankings")
                #expect(status == 200)
                #expect(byDeviation["metric_type"] == .string("price"))
                #expect(byDeviation["window"] == .string("24h"))
                #expect(byDeviation["by"] == .string("stddev"))
                #expect(byDeviation["total"] == .number(3), "LTC has one sample and no deviation: left out")
                let tickers = { (json: JSONValue) in json["rankings"]?.array?.compactMap { $0["ticker"]?.string } ?? [] }
                #expect(tickers(byDeviation) == ["KRAKEN:DOGEUSD", "KRAKEN:ETHUSD", "KRAKEN:BTCUSD"])
                #expect(byDeviation["rankings"]?.array?.compactMap { $0["rank"]?.double } == [1, 2, 3])
                let (_, byCV) = try await get(client, "/rankings?by=cv")
                // Relative to its price, BTC (64.5 on 90,025) is steadier than ETH (6.45 on 3,002.5).
                #expect(tickers(byCV) == ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD", "KRAKEN:DOGEUSD"])
                let (_, page) = try await get(client, "/rankings?by=cv&limit=1&offset=1")
                #expect(tickers(page) == ["KRAKEN:ETHUSD"])
                #expect(page["rankings"]?.array?.first?["rank"] == .number(2))
                #expect(page["total"] == .number(3))
                let (_, volume) = try await get(client, "/rankings?metric_type=volume&window=7d&by=log_return_volatility")
                #expect(volume["total"] == .number(0), "two samples have no log-return volatility")

                // metric_rank counts as the ranking does.
                for row in byDeviation["rankings"]?.array ?? [] {
                    let id = Int(row["id"]?.double ?? 0)
                    let (_, detail) = try await get(client, "/metrics/\(id)")
                    #expect(detail["metric_rank"] == .string("\(Int(row["rank"]?.double ?? 0))/3"))
                    #expect(detail["standard_deviation"] == row["standard_deviation"])
                    #expect(detail["coefficient_of_variation"] == row["coefficient_of_variation"])
                }
            }
        }
    }

    @Test func entityTagsAnswer304UntilTheAnswerChanges() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await api.test { client, statistics in
                for uri in ["/metrics", "/metrics/1", "/metrics/1?window=1h&max_points=2", "/rankings"] {
                    let first = try await client.execute(uri: uri, method: .get) { $0 }
                    let tag = try #require(first.headers[.eTag], "\(uri)")
                    #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""), "a strong tag")
                    let again = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag]) { $0 }
                    #expect(again.status == .notModified, "\(uri)")
                    #expect(again.body.readableBytes == 0)
                    #expect(again.headers[.eTag] == tag)
                    let listed = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\", W/\(tag)"]) { $0 }
                    #expect(listed.status == .notModified, "\(uri): a list with the weak form matches too")
                    let stale = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""]) { $0 }
                    #expect(stale.status == .ok)
                }
                let before = try await client.execute(uri: "/metrics/1", method: .get) { $0.headers[.eTag] }
                try await api.store("KRAKEN:BTCUSD", .price, [4], endingSecondsAgo: -1)
                try await statistics.refresh()
                let after = try await client.execute(uri: "/metrics/1", method: .get, headers: [.ifNoneMatch: before ?? ""]) { $0 }
                #expect(after.status == .ok, "a new sample changes the answer")
                #expect(after.headers[.eTag] != before)

                // A new metric shows in the cached list and rankings at once.
                let listed = try await get(client, "/metrics").json["metrics"]?.array?.count
                try await api.store("KRAKEN:ETHUSD", .price, [5, 7], endingSecondsAgo: -1)
                try await statistics.refresh()
                #expect(try await get(client, "/metrics").json["metrics"]?.array?.count == (listed ?? 0) + 1)
                #expect(try await get(client, "/rankings").json["total"] == .number(2))
            }
        }
    }

    @Test func everyInstanceTagsTheSameAnswerAlike() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            let tags = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let statistics = LiveStatistics(store: api.store, now: { APIHarness.now })
                        try await statistics.refresh()
                        let app = Application(router: buildRouter(statistics: statistics))
                        return try await app.test(.router) { client in
                            try await client.execute(uri: "/metrics/1", method: .get) { $0.headers[.eTag] }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(tags.count == 2 && tags[0] != nil && tags[0] == tags[1], "a load balancer may send the next request anywhere")
        }
    }
}
