// Shared by the seven exchange harnesses (Fuzz/<exchange>/): how an input is laid out, and the
// promises every answer reader makes (QuoteUpstream.swift, JSONValue+Upstream.swift).
//
// An input is two header bytes and the body: byte 0 picks the HTTP status (``statuses``), byte 1
// what was asked (each harness says how it reads it), the rest is the body as the exchange sent
// it. The seeds (corpus/) are the fixtures of Tests/QuoteSourcesTests/Fixtures with their status
// and the matching request in front.
@testable import QuoteSources
import MetricsCore

/// The statuses an input can answer with: byte 0 modulo their count; index 0 is 200.
let statuses = [200, 400, 404, 418, 429, 500, 502, 503, 201, 302, 403, 451]

struct ExchangeInput {
    let status: Int
    let selector: Int
    let body: UnsafeBufferPointer<UInt8>

    init?(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size >= 2 else { return nil }
        status = statuses[Int(data[0]) % statuses.count]
        selector = Int(data[1])
        body = UnsafeBufferPointer(start: data + 2, count: size - 2)
    }
}

/// The latest instant an epoch time in an answer may name (`JSONValue.latestPlausibleSeconds`).
let latestPlausible = Timestamp(microsecondsSince1970: Int64(JSONValue.latestPlausibleSeconds) * 1_000_000)

/// "Only finite numbers get here, with a positive price and a non-negative volume" and nothing
/// "absurdly large" (`Quote.validate`); an exchange's epoch time is between 1970 and 2100.
func checkQuote(_ quote: Quote, epochTime: Bool, _ context: @autoclosure () -> String) {
    invariant(quote.price.isFinite && quote.price > 0 && quote.price <= Sample.largestValue, "price \(quote.price): \(context())")
    invariant(quote.volume.isFinite && quote.volume >= 0 && quote.volume <= Sample.largestValue, "volume \(quote.volume): \(context())")
    if epochTime, let observed = quote.observedAt {
        invariant(observed.microsecondsSince1970 >= 0 && observed <= latestPlausible, "observedAt \(observed.microsecondsSince1970) µs: \(context())")
    }
}

/// Candles "validated like a Quote", each opening before it closes, `period` long; when `sorted`,
/// oldest first. Then what `CandlePages.finished` promises of them: those closing in the range and
/// not after now, oldest first, one per open time.
func checkCandles(_ candles: [Candle], period: Duration, sorted: Bool, _ context: @autoclosure () -> String) {
    for candle in candles {
        invariant(candle.openTime < candle.closeTime, "candle opens at \(candle.openTime) and closes at \(candle.closeTime): \(context())")
        invariant(
            candle.closeTime.microsecondsSince1970 - candle.openTime.microsecondsSince1970 == period.microseconds,
            "candle \(candle.openTime) ... \(candle.closeTime) is not \(period) long: \(context())")
        invariant(candle.close.isFinite && candle.close > 0 && candle.close <= Sample.largestValue, "close \(candle.close): \(context())")
        invariant(candle.volume.isFinite && candle.volume >= 0 && candle.volume <= Sample.largestValue, "volume \(candle.volume): \(context())")
    }
    if sorted {
        invariant(zip(candles, candles.dropFirst()).allSatisfy { $0.openTime <= $1.openTime }, "candles not oldest first: \(context())")
    }
    let range = TimeRange(from: Timestamp(microsecondsSince1970: 0), through: Timestamp(secondsSince1970: 1_790_000_000))
    let now = Timestamp(secondsSince1970: 1_780_000_000)
    let finished = CandlePages.finished(candles, closingIn: range, now: now)
    invariant(zip(finished, finished.dropFirst()).allSatisfy { $0.openTime < $1.openTime }, "finished candles not strictly oldest first")
    invariant(finished.allSatisfy { range.contains($0.closeTime) && $0.closeTime <= now }, "a finished candle closes outside the range")
    invariant(finished.count <= candles.count, "finished made candles up")
}

/// An error is something to log: its description and kind must be writable whatever it carries.
func touch(_ error: UpstreamError) {
    _ = error.description
    _ = error.kind
    _ = RetryPolicy.isRetryable(error)
}

/// `CurrencyPair(parsing:)` for pairs the harnesses know to be valid.
func pair(_ text: String) -> CurrencyPair { try! CurrencyPair(parsing: text) }
