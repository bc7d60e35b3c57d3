import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsCore
import Testing

@Suite struct MetricsRoutesTests {
    @Test func listsEveryMetricByID() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1])
            try await api.store("KRAKEN:BTCUSD", .volume, [2])
            try await api.store("ZONDA:USDTUSD", .volume, [3])
            try await api.test { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                    #expect(
                        response.text
                            == #"{"metrics":[{"id":1,"metric_type":"price","ticker":"KRAKEN:BTCUSD"},{"id":2,"metric_type":"volume","ticker":"KRAKEN:BTCUSD"},{"id":3,"metric_type":"volume","ticker":"ZONDA:USDTUSD"}]}"#
                    )
                }
            }
        }
    }

    @Test func anEmptyStoreListsNothing() async throws {
        try await APIHarness.with { api in
            try await api.test { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.text == #"{"metrics":[]}"#)
                }
            }
        }
    }

    @Test func servesTheOriginalsRankingExample() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3, 4])
            try await api.store("KRAKEN:ETHUSD", .price, [99, 106, 300, 5])
            try await api.store("KRAKEN:ETHUSD", .volume, [1, 1000])
            let steady = try await api.id("KRAKEN:BTCUSD", .price)
            let wild = try await api.id("KRAKEN:ETHUSD", .price)
            try await api.test { client in
                let detail = try await client.execute(uri: "/metrics/\(steady)", method: .get) { try $0.json }
                #expect(detail["id"] == .number(Double(steady)))
                #expect(detail["ticker"] == .string("KRAKEN:BTCUSD"))
                #expect(detail["metric_type"] == .string("price"))
                #expect(detail["metric_rank"] == .string("1/2"))
                let deviation = try #require(detail["standard_deviation"]?.double)
                #expect(abs(deviation - RunningStatistics([1, 2, 3, 4]).sampleStandardDeviation!) <= 1e-12)
                let history = try #require(detail["metric_24h_history"]?.array)
                #expect(history.map { $0["value"] } == [1, 2, 3, 4].map { .number($0) })
                #expect(history.last?["timestamp"] == .string("2026-11-25T12:00:00Z"))
                #expect(history.first?["timestamp"] == .string("2026-11-25T11:57:00Z"))
                let other = try await client.execute(uri: "/metrics/\(wild)", method: .get) { try $0.json }
                #expect(other["metric_rank"] == .string("2/2"))
            }
        }
    }

    @Test func historyIsTheLast24HoursOnly() async throws {
        try await APIHarness.with { api in
            // Ten samples a minute apart ending 23h55m ago: the oldest five are more than 24h old.
            try await api.store("KRAKEN:BTCUSD", .price, (1...10).map(Double.init), endingSecondsAgo: 86_400 - 300)
            let id = try await api.id("KRAKEN:BTCUSD", .price)
            try await api.test { client in
                let detail = try await client.execute(uri: "/metrics/\(id)", method: .get) { try $0.json }
                let values = try #require(detail["metric_24h_history"]?.array).map { $0["value"] }
                #expect(values == [5, 6, 7, 8, 9, 10].map { .number($0) }, "the sample at exactly now-24h is included")
            }
        }
    }

    @Test func wholeNumbersAreServedAsFloats() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [84682, 84682])
            let id = try await api.id("KRAKEN:BTCUSD", .price)
            try await api.test { client in
                try await client.execute(uri: "/metrics/\(id)", method: .get) { response in
                    #expect(response.text.contains(#""value":84682.0}"#), "\(response.text)")
                    #expect(response.text.contains(#""standard_deviation":0.0,"#), "\(response.text)")
                }
            }
        }
    }

    @Test func anInvalidIDIsEchoedSafely() async throws {
        try await APIHarness.with { api in
            try await api.test { client in
                try await client.execute(uri: "/metrics/%22x%5C", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.text == #"{"error":"Invalid metric ID: \"\"x\\\". Must be an integer."}"#)
                }
            }
        }
    }

    @Test func fewerThanTwoSamplesGiveNullsInsteadOfACrash() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [90_000.5])
            try await api.store("KRAKEN:ETHUSD", .price, [1, 2])
            try await api.store("KRAKEN:LTCUSD", .price, [7], endingSecondsAgo: 90_000)
            let single = try await api.id("KRAKEN:BTCUSD", .price)
            let old = try await api.id("KRAKEN:LTCUSD", .price)
            try await api.test { client in
                try await client.execute(uri: "/metrics/\(single)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.text.contains(#""standard_deviation":null"#))
                    #expect(response.text.contains(#""metric_rank":null"#))
                    #expect(response.text.contains(#""metric_24h_history":[{"timestamp":"2026-11-25T12:00:00Z","value":90000.5}]"#))
                }
                try await client.execute(uri: "/metrics/\(old)", method: .get) { response in
                    let json = try response.json
                    #expect(json["metric_24h_history"] == .array([]))
                }
            }
        }
    }

    @Test func answersTheOriginals400ForANonIntegerID() async throws {
        try await APIHarness.with { api in
            try await api.test { client in
                for id in ["twenty", "1.5", "1e3", "%20", "12abc", "1__0", "_1", "0x1F"] {
                    try await client.execute(uri: "/metrics/\(id)", method: .get) { response in
                        #expect(response.status == .badRequest)
                        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                        let shown = id == "%20" ? " " : id
                        let json = try response.json
                        #expect(json == .object(["error": .string("Invalid metric ID: \"\(shown)\". Must be an integer.")]))
                    }
                }
            }
        }
    }

    @Test func answersTheOriginals404ForAnUnknownID() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1])
            try await api.test { client in
                for (id, shown) in [
                    ("30", "30"), ("0", "0"), ("-4", "-4"), ("007", "7"), ("99999999999999999999999", "99999999999999999999999"),
                ] {
                    try await client.execute(uri: "/metrics/\(id)", method: .get) { response in
                        #expect(response.status == .notFound)
                        #expect(response.text == #"{"error":"No such metric with ID \#(shown)."}"#)
                    }
                }
            }
        }
    }

    @Test func unknownRoutesGetJSONErrors() async throws {
        try await APIHarness.with { api in
            try await api.test { client in
                for (uri, method) in [("/nope", HTTPRequest.Method.get), ("/nope", .post), ("/metrics/1/extra", .get)] {
                    try await client.execute(uri: uri, method: method) { response in
                        #expect(response.status == .notFound)
                        let json = try response.json
                        let message = try #require(json["error"]?.string)
                        #expect(message.contains("/openapi.json"))
                    }
                }
            }
        }
    }

    /// A route asked with a method it does not take is a 405 that lists the ones it does (RFC
    /// 9110), not a 404 that would say it does not exist.
    @Test func aMethodARouteDoesNotTakeIs405WithAllow() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await api.test { client in
                for (uri, method, allow) in [
                    ("/metrics", HTTPRequest.Method.post, "GET, HEAD"), ("/metrics/1", .delete, "GET, HEAD"),
                    ("/metrics/99", .put, "GET, HEAD"), ("/subscriptions", .put, "GET, HEAD, POST"),
                    ("/subscriptions/7", .post, "DELETE, GET, HEAD, PATCH"), ("/", .post, "GET, HEAD"),
                    ("/stream", .delete, "GET, HEAD"),
                ] {
                    try await client.execute(uri: uri, method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                        #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                        let message = try response.json["error"]?.string
                        #expect(message == "\(uri) does not take \(method); it takes \(allow).")
                    }
                }
            }
        }
    }

    /// Every answer, errors included, says not to sniff its type and not to pass the page on as a
    /// referrer, and names no server version.
    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await api.test { client in
                for (uri, method) in [
                    ("/metrics", HTTPRequest.Method.get), ("/metrics/1", .get), ("/metrics/x", .get), ("/nope", .get),
                    ("/metrics", .post), ("/", .get), ("/openapi.json", .head),
                ] {
                    let response = try await client.execute(uri: uri, method: method)
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(method) \(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(method) \(uri)")
                    #expect(response.headers[.server]?.contains("/") != true, "\(method) \(uri)")
                }
            }
        }
    }

    /// HEAD answers every GET route with the GET's status and headers (length and ETag
    /// included), and no body.
    @Test func everyGetRouteAnswersHeadWithTheSameHeadersAndNoBody() async throws {
        try await APIHarness.with { api in
            try await api.store("KRAKEN:BTCUSD", .price, [1, 2, 3])
            try await api.test { client in
                for uri in ["/metrics", "/metrics/1", "/metrics/99", "/rankings", "/healthz", "/readyz", "/openapi.json"] {
                    let get = try await client.execute(uri: uri, method: .get)
                    let head = try await client.execute(uri: uri, method: .head)
                    #expect(head.status == get.status, "\(uri)")
                    #expect(head.body.readableBytes == 0, "\(uri)")
                    #expect(get.body.readableBytes > 0, "\(uri)")
                    #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
                    #expect(head.headers[.contentLength] == get.headers[.contentLength], "\(uri)")
                    #expect(head.headers[.eTag] == get.headers[.eTag], "\(uri)")
                }
            }
        }
    }

    @Test func probesReportHealthAndReadiness() async throws {
        try await APIHarness.with { api in
            try await api.test { client in
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.text == #"{"status":"ready"}"#)
                }
            }
        }
    }
}
