/// A market on one exchange, written `EXCHANGE:PAIR` as in the original API (`KRAKEN:BTCUSD`).
///
/// Both parts are kept upper-case so that `kraken:btcusd` from a config file or a CSV row names
/// the same metrics as `KRAKEN:BTCUSD`.
public struct Ticker: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The exchange's name as configured, upper-case (`KRAKEN`).
    public let exchange: String
    /// The currency pair, upper-case, without separator (`BTCUSD`).
    public let pair: CurrencyPair

    public init(exchange: String, pair: CurrencyPair) throws(TickerError) {
        let exchange = exchange.uppercased()
        guard !exchange.isEmpty, exchange.utf8.count <= 32,
            exchange.utf8.allSatisfy({ $0.isASCIIUpperOrDigit || $0 == UInt8(ascii: "_") })
        else {
            throw TickerError(input: "\(exchange):\(pair)", reason: "the exchange name must be 1 to 32 letters, digits or underscores")
        }
        self.exchange = exchange
        self.pair = pair
    }

    /// Parses `EXCHANGE:PAIR`, where PAIR is anything ``CurrencyPair`` accepts.
    public init(parsing text: some StringProtocol) throws(TickerError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw TickerError(input: String(text), reason: "a ticker is written EXCHANGE:PAIR, like KRAKEN:BTCUSD")
        }
        let pair: CurrencyPair
        do {
            pair = try CurrencyPair(parsing: parts[1])
        } catch {
            throw TickerError(input: String(text), reason: error.reason)
        }
        try self.init(exchange: String(parts[0]), pair: pair)
    }

    public var description: String { "\(exchange):\(pair)" }

    public static func < (lhs: Ticker, rhs: Ticker) -> Bool {
        (lhs.exchange, lhs.pair.symbol) < (rhs.exchange, rhs.pair.symbol)
    }
}

/// Why a ticker could not be read.
public struct TickerError: Error, Equatable, CustomStringConvertible {
    public let input: String
    public let reason: String

    public var description: String { "invalid ticker \"\(input)\": \(reason)" }
}

extension UInt8 {
    var isASCIIUpperOrDigit: Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
