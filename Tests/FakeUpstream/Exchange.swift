import MetricsCore

extension FakeUpstream {
    /// An exchange whose wire format the fake speaks. All share one base URL: their paths differ.
    public enum Exchange: String, CaseIterable, Sendable, Codable {
        case kraken, zonda, coinbase, binance, bitstamp, gemini, cryptowatch

        /// The key a market is stored and matched under: the name this exchange's requests use,
        /// in its letter case (`XBTUSD`, `BTC-USD`, `BTCUSDT`, `btcusd`, `kraken:btcusd`).
        public func marketKey(base: String, quote: String) -> String {
            switch self {
            case .kraken, .binance: (base + quote).uppercased()
            case .zonda, .coinbase: "\(base)-\(quote)".uppercased()
            case .bitstamp, .gemini: (base + quote).lowercased()
            case .cryptowatch: "kraken:" + (base + quote).lowercased()
            }
        }

        /// `key` in this exchange's letter case, so that `btcusdt` and `BTCUSDT` name one market.
        public func normalized(_ key: String) -> String {
            switch self {
            case .kraken, .binance, .zonda, .coinbase: key.uppercased()
            case .bitstamp, .gemini, .cryptowatch: key.lowercased()
            }
        }

        /// The base and quote assets of a market key, upper-case, where the key can be read.
        func assets(of key: String) -> (base: String, quote: String)? {
            let symbol = self == .cryptowatch ? String(key.split(separator: ":").last ?? "") : key
            guard let pair = try? CurrencyPair(parsing: symbol) else { return nil }
            return (pair.base, pair.quote)
        }
    }

    /// What an endpoint is for: current quotes (ticker, summary, stats) or candle history.
    public enum Endpoint: String, CaseIterable, Sendable, Codable {
        case quotes, candles
    }

    /// One exchange's endpoints of one kind: the unit faults are set on and requests are counted by.
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public let exchange: Exchange
        public let endpoint: Endpoint

        public init(_ exchange: Exchange, _ endpoint: Endpoint) {
            self.exchange = exchange
            self.endpoint = endpoint
        }

        /// The ticker (summary, stats) endpoints of `exchange`.
        public static func quotes(_ exchange: Exchange) -> Route { Route(exchange, .quotes) }
        /// The candle (OHLC, klines) endpoints of `exchange`.
        public static func candles(_ exchange: Exchange) -> Route { Route(exchange, .candles) }

        /// `binance:quotes`, the form fault specs use.
        public var description: String { "\(exchange.rawValue):\(endpoint.rawValue)" }
    }
}
