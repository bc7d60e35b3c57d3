import MetricsCore
import Testing

@testable import QuoteSources

/// Answers that `scripts/fuzz` found to crash or stall the readers (their inputs are kept in
/// Fuzz/<target>/regressions/, which every fuzz run replays first). Each is now refused or read
/// in bounded time, and says why.
@Suite struct FuzzFindingsTests {
    @Test(arguments: [#"{"code":-1e999,"msg":"Invalid symbol."}"#, #"{"code":1e19,"msg":"x"}"#, #"{"code":-1121.5,"msg":"x"}"#])
    func aBinanceErrorCodeBeyondAnIntegerIsReportedNotTrapped(body: String) throws {
        #expect(throws: UpstreamError.self) {
            try BinanceTickerAnswer(status: 400, body: Array(body.utf8), asked: ["BTCUSDT"])
        }
        #expect(throws: UpstreamError.self) {
            try BinanceKlines.parse(status: 400, body: Array(body.utf8), symbol: "BTCUSDT")
        }
        do {
            _ = try BinanceTickerAnswer(status: 400, body: Array(body.utf8), asked: ["BTCUSDT"])
        } catch {
            #expect(error.kind == "exchange_error", "not taken for the unknown-symbol code: \(error)")
        }
    }

    @Test func aKrakenAnswerKeyOf64KiBIsPassedOverInBoundedTime() throws {
        let key = String(repeating: "X", count: 64 << 10)
        let body = #"{"error":[],"result":{""# + key + #"":{"c":["1.0","1"]}}}"#
        let answer = try KrakenTickerAnswer(status: 200, body: Array(body.utf8), asked: "XBTUSD")
        #expect(throws: UpstreamError.self) { try answer.quote(for: CurrencyPair(parsing: "BTCUSD")) }
        #expect(KrakenPairNames.readings(ofKey: key).isEmpty)
        #expect(KrakenPairNames.readings(ofKey: "XXBTZUSD").contains("BTC/USD"), "real keys are still read")
    }
}
