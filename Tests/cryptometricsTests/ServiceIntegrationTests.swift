import AsyncHTTPClient
import FakeUpstream
import Foundation
import Logging
import MetricsCore
import MetricsStore
import NIOCore
import QuoteSources
import SQLiteStore
import TestSupport
import Testing

@testable import cryptometrics

/// The real service, built by `buildApplication` as `cryptometrics serve` builds it, polling fake
/// exchanges on 127.0.0.1 once a second and read back over HTTP.
@Suite struct ServiceIntegrationTests {
    /// Runs the service against `fake` until `body` returns, and hands `body` the API's base URL.
    private func withService<Result: Sendable>(
        fake: FakeUpstream,
        markets: [String] = ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD", "ZONDA:BTCUSD"],
        _ body: @escaping @Sendable (String, SQLiteMetricStore) async throws -> Result
    ) async throws -> Result {
        try await withTemporaryDirectory { directory in
            try await fake.withRunning { upstreamURL in
                var settings = Settings()
                settings.port = 0
                let path = directory.appendingPathComponent("service.sqlite").path
                settings.database = .sqlite(path: path)
                settings.pollIntervalSeconds = 1
                settings.markets = try markets.map { Settings.Market(ticker: try Ticker(parsing: $0), upstreams: []) }
                for kind in [QuoteSourcesUpstream.kraken, .zonda] {
                    // A local endpoint: no need to keep to the exchange's public rate limit. The
                    // timeout is far longer than the cycle's 0.8 s budget, so that the budget is
                    // what ends a cycle whose upstream hangs, and no answer is ever late.
                    settings.upstreams[kind] = Settings.Upstream(baseURL: upstreamURL, timeoutSeconds: 300, requestsPerSecond: 1_000)
                }
                var logger = Logger(label: "integration")
                logger.logLevel = .error
                let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
                return try await withStore(settings, logger: logger, polling: true) { store in
                    let app = try buildApplication(settings, store: store, logger: logger) { port in continuation.yield(port) }
                    let reader = try SQLiteMetricStore(path: path)
                    return try await withRunningService(app, logger: logger) {
                        var iterator = ports.makeAsyncIterator()
                        let port = try #require(await iterator.next())
                        return try await body("http://127.0.0.1:\(port)", reader)
                    }
                }
            }
        }
    }

    private static func get(_ url: String) async throws -> (status: Int, json: JSONValue) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try JSONParser.parse(body.readableBytesView))
    }

    /// The history of `ticker`'s `type` over HTTP once it has at least `count` samples.
    private static func history(_ baseURL: String, _ ticker: String, _ type: String, atLeast count: Int) async throws -> JSONValue? {
        try await eventually(within: .seconds(60)) {
            let list = try await get("\(baseURL)/metrics").json
            guard
                let metric = list["metrics"]?.array?.first(where: { $0["ticker"]?.string == ticker && $0["metric_type"]?.string == type }),
                case .number(let id) = metric["id"]
            else { return nil }
            let detail = try await get("\(baseURL)/metrics/\(Int(id))").json
            return (detail["metric_24h_history"]?.array?.count ?? 0) >= count ? detail : nil
        }
    }

    @Test func pollsStoresAndServesOverHTTP() async throws {
        let fake = FakeUpstream()
        fake.setKraken("XXBTZUSD", price: "90000.5", volume: "3000.25")
        fake.setKraken("XETHZUSD", price: "3000.1", volume: "40000")
        fake.setZonda("BTC-USD", price: "90100", volume: "12.5")
        try await withService(fake: fake) { baseURL, _ in
            // At start the day before is filled from Kraken's 5-minute candles, then cycles add
            // polled samples after it.
            let first = try #require(
                try await eventually(within: .seconds(30)) { () async throws -> JSONValue? in
                    let detail = try await Self.history(baseURL, "KRAKEN:BTCUSD", "price", atLeast: 1)
                    let history = detail?["metric_24h_history"]?.array ?? []
                    return history.last?["value"] == .number(90000.5) && history.count >= 280 ? detail : nil
                }, "a first cycle and the backfill within 30 s")
            let history = try #require(first["metric_24h_history"]?.array)
            #expect(history.count >= 280, "a full day of 5-minute candles before the first poll, not \(history.count) points")
            let oldest = try Timestamp(rfc3339: try #require(history.first?["timestamp"]?.string))
            #expect(oldest < Timestamp.now.adding(seconds: -86_400 + 600), "the chart reaches a day back")

            fake.setKraken("XXBTZUSD", price: "90010.5", volume: "3001.25")
            _ = try #require(try await Self.history(baseURL, "ZONDA:BTCUSD", "price", atLeast: 2), "Zonda has no candles: two polls")
            let detail = try #require(
                try await eventually(within: .seconds(60)) { () async throws -> JSONValue? in
                    let detail = try await Self.history(baseURL, "KRAKEN:BTCUSD", "price", atLeast: 2)
                    return detail?["metric_24h_history"]?.array?.last?["value"] == .number(90010.5) ? detail : nil
                })
            let values = try #require(detail["metric_24h_history"]?.array).compactMap { $0["value"] }
            #expect(values.contains(.number(90000.5)))
            let numbers = values.compactMap { if case .number(let n) = $0 { n } else { nil } }
            let deviation = try #require(detail["standard_deviation"]?.double)
            #expect(abs(deviation - RunningStatistics(numbers).sampleStandardDeviation!) <= 1e-9 * deviation)
            #expect(detail["metric_rank"]?.string?.hasSuffix("/3") == true, "ranked among the three price metrics")

            let list = try await Self.get("\(baseURL)/metrics").json
            let tickers = Set((list["metrics"]?.array ?? []).compactMap { $0["ticker"]?.string })
            #expect(tickers == ["KRAKEN:BTCUSD", "KRAKEN:ETHUSD", "ZONDA:BTCUSD"])
            #expect(list["metrics"]?.array?.count == 6)
            let firstMetric = try #require(list["metrics"]?.array?.first)
            let expectedFirst: JSONValue = .object(["id": .number(1), "metric_type": .string("price"), "ticker": .string("KRAKEN:BTCUSD")])
            #expect(firstMetric == expectedFirst, "ids follow the config")
            let zonda = try #require(try await Self.history(baseURL, "ZONDA:BTCUSD", "volume", atLeast: 1))
            #expect(zonda["metric_24h_history"]?.array?.first?["value"] == .number(12.5))
            #expect(try await Self.get("\(baseURL)/readyz").status == 200)

            let status = try await Self.get("\(baseURL)/status").json
            let btc = try #require(status["tickers"]?.array?.first { $0["ticker"]?.string == "KRAKEN:BTCUSD" })
            #expect(btc["last_upstream"] == .string("kraken"))
            #expect(btc["last_success"] != .null)
            #expect(status["upstreams"]?.array?.map { $0["breaker"] } == [.string("closed"), .string("closed")])

            let exposition = try await Self.text("\(baseURL)/ops/metrics")
            #expect(exposition.contains(#"cryptometrics_quotes_total{upstream="kraken",outcome="ok"}"#))
            #expect(exposition.contains("cryptometrics_upstream_request_duration_seconds_bucket"))
            #expect(exposition.contains("cryptometrics_poll_cycle_duration_seconds"))
            let routeLine = exposition.split(separator: "\n").first {
                $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/metrics/{id}""#)
                    && $0.contains(#"http_response_status_code="200""#)
            }
            #expect(routeLine != nil, "HTTP requests are counted by route and status")
        }
    }

    private static func text(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    /// Each way an upstream fails, applied to Zonda while Kraken keeps answering: the failing
    /// ticker stores nothing, the healthy one keeps its samples, and cycles keep their pace.
    @Test(arguments: [
        ("hang", FakeUpstream.Fault?.some(.latency(.seconds(600))), nil as (String, String)?),
        ("HTTP error", .status(502, body: "bad gateway"), nil),
        ("HTML page", .htmlErrorPage, nil),
        ("truncated JSON", .truncatedJSON, nil),
        ("missing number", .status(200, body: #"{"status":"Ok","items":{"BTC-USD":{"m":"BTC-USD"}}}"#), nil),
        ("non-numeric", nil, ("n/a", "12")),
        ("non-finite", nil, ("1e999", "12")),
        ("negative", nil, ("90100", "-12")),
        ("zero price", nil, ("0", "12")),
    ])
    func aFailingUpstreamStoresNothingAndSparesTheOthers(
        name: String,
        fault: FakeUpstream.Fault?,
        values: (String, String)?
    ) async throws {
        let fake = FakeUpstream()
        fake.setKraken("XXBTZUSD", price: "90000.5", volume: "3000.25")
        fake.setZonda("BTC-USD", price: values?.0 ?? "90100", volume: values?.1 ?? "12.5")
        if let fault { fake.setFault(fault, on: .quotes(.zonda)) }
        try await withService(fake: fake, markets: ["KRAKEN:BTCUSD", "ZONDA:BTCUSD"]) { baseURL, store in
            // Three samples within `history`'s minute: were a cycle held up by the hanging upstream
            // until its 300 s timeout, the third would come after ten minutes.
            let detail = try await Self.history(baseURL, "KRAKEN:BTCUSD", "price", atLeast: 3)
            #expect(detail != nil, "\(name): the healthy ticker is polled every cycle, not held up by the failing one")
            for metric in try await store.metrics() where metric.ticker.exchange == "ZONDA" {
                let window = try await store.samples(of: metric.id, in: TimeRange(last: 3_600, endingAt: .now))
                #expect(window?.samples.isEmpty == true, "\(name): nothing of the failing ticker is stored")
            }
        }
    }
}

typealias QuoteSourcesUpstream = QuoteSources.UpstreamKind
