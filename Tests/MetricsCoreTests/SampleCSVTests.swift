import MetricsCore
import Testing

@Suite struct SampleCSVTests {
    private func read(_ text: String) throws -> [SampleRow] {
        var rows: [SampleRow] = []
        _ = try Array(text.utf8).withUnsafeBytes { buffer in
            try SampleCSV.read(buffer) { rows.append($0) }
        }
        return rows
    }

    @Test func readsRows() throws {
        let rows = try read(
            """
            ticker,metric_type,timestamp,value
            KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,2619.8
            ZONDA:ETHUSD,volume,2026-11-25T23:22:00.5Z,1837.37063918

            """
        )
        #expect(rows.count == 2)
        #expect(rows[0].key == MetricKey(ticker: try Ticker(parsing: "KRAKEN:BTCUSD"), type: .price))
        #expect(rows[0].timestamp == (try Timestamp(rfc3339: "2026-11-25T23:21:00Z")))
        #expect(rows[0].value == 2619.8)
        #expect(rows[1].key.type == .volume)
        #expect(rows[1].value == 1837.37063918)
    }

    @Test func acceptsWindowsLineEndingsAndAByteOrderMark() throws {
        let rows = try read("\u{FEFF}ticker,metric_type,timestamp,value\r\nKRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1\r\n")
        #expect(rows.count == 1)
    }

    @Test(arguments: [
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z", "expected 4 fields"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1,2", "expected 4 fields"),
        ("KRAKENBTCUSD,price,2026-11-25T23:21:00Z,1", "EXCHANGE:PAIR"),
        ("KRAKEN:BTCUSD,bid,2026-11-25T23:21:00Z,1", "unknown metric_type"),
        ("KRAKEN:BTCUSD,price,2026-11-25 23:21,1", "invalid timestamp"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,abc", "invalid value"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,nan", "invalid value"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,-3", "not negative"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1e999", "finite"),
        ("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1e19", "at most 1e18"),
    ])
    func namesTheLineAndTheReason(row: String, reason: String) {
        let text = "ticker,metric_type,timestamp,value\nKRAKEN:BTCUSD,price,2026-11-25T23:20:00Z,1\n\(row)\n"
        let error = #expect(throws: SampleCSVError.self) { try read(text) }
        #expect(error?.line == 3)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
    }

    @Test func requiresTheHeader() {
        let error = #expect(throws: SampleCSVError.self) { try read("KRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1\n") }
        #expect(error?.line == 1)
        #expect(throws: SampleCSVError.self) { try read("") }
    }

    @Test func stopsAtTheFirstBadRowWithoutReadingOn() {
        var seen = 0
        let bytes = Array(
            "ticker,metric_type,timestamp,value\nKRAKEN:BTCUSD,price,2026-11-25T23:21:00Z,1\nbad\nKRAKEN:BTCUSD,price,2026-11-25T23:22:00Z,1\n"
                .utf8)
        #expect(throws: SampleCSVError.self) {
            try bytes.withUnsafeBytes { buffer in
                try SampleCSV.read(buffer) { _ in seen += 1 }
            }
        }
        #expect(seen == 1)
    }
}
