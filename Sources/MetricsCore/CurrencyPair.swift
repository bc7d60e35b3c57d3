/// A base and a quote currency, such as BTC priced in USD.
///
/// Exchanges spell pairs differently (`BTC-USD` at Zonda and Coinbase, `XBTUSD` at Kraken,
/// `btcusd` at Bitstamp), so the adapters need the two halves, not just the joined symbol the
/// original API shows. A pair written without a separator (`BTCUSD`) is split at the longest
/// known quote currency it ends with; any other pair can be written `BASE-QUOTE` or `BASE/QUOTE`.
public struct CurrencyPair: Hashable, Sendable, CustomStringConvertible {
    /// The asset being priced, upper-case (`BTC`).
    public let base: String
    /// The currency the price is in, upper-case (`USD`).
    public let quote: String
    /// The form used in tickers and by the original API: joined (`BTCUSD`) when that reads back as
    /// the same pair, `BASE-QUOTE` otherwise (`BTC-MXN`, `BTC-TUSD`), so that every stored ticker
    /// parses back to the pair it was stored for. Made once: tickers are sorted by it, and a
    /// cycle of 10,000 sorts twenty thousand metric keys.
    public let symbol: String

    /// The quote currencies recognised at the end of a pair written without a separator, longest
    /// first so that `BTCUSDT` splits as BTC/USDT. Stablecoins whose code ends in another quote's
    /// (TUSD, FDUSD) are left out, or `USDTUSD` would read as USD/TUSD; write those `BASE-TUSD`.
    public static let knownQuotes = [
        "USDT", "USDC", "DAI", "EURC", "EURT",
        "USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD", "PLN", "TRY", "BRL", "KRW",
        "BTC", "ETH", "BNB", "XBT",
    ].sorted { $0.count > $1.count }

    public init(base: String, quote: String) throws(TickerError) {
        let base = base.uppercased()
        let quote = quote.uppercased()
        for part in [base, quote] {
            guard (1...12).contains(part.utf8.count), part.utf8.allSatisfy(\.isASCIIUpperOrDigit) else {
                throw TickerError(
                    input: "\(base)-\(quote)",
                    reason: "each currency must be 1 to 12 letters or digits"
                )
            }
        }
        self.base = base
        self.quote = quote
        let joined = base + quote
        let splitsBack = Self.knownQuotes.first { joined.hasSuffix($0) && joined.count > $0.count } == quote
        symbol = splitsBack ? joined : "\(base)-\(quote)"
    }

    /// Reads `BTCUSD`, `BTC-USD`, `BTC/USD` or `btc_usd`.
    public init(parsing text: some StringProtocol) throws(TickerError) {
        let symbol = text.uppercased()
        let separated = symbol.split(omittingEmptySubsequences: false) { $0 == "-" || $0 == "/" || $0 == "_" }
        if separated.count == 2 {
            try self.init(base: String(separated[0]), quote: String(separated[1]))
            return
        }
        guard separated.count == 1, !symbol.isEmpty else {
            throw TickerError(input: symbol, reason: "a pair is BASE and QUOTE, like BTCUSD or BTC-USD")
        }
        for quote in Self.knownQuotes where symbol.hasSuffix(quote) && symbol.count > quote.count {
            try self.init(base: String(symbol.dropLast(quote.count)), quote: quote)
            return
        }
        throw TickerError(
            input: symbol,
            reason: "cannot tell the base from the quote currency; write it BASE-QUOTE (like \(symbol.prefix(3))-\(symbol.dropFirst(3)))"
        )
    }

    public var description: String { symbol }
}
