import MetricsCore
import Testing

@Suite struct TickerTests {
    @Test func parsesTheOriginalNotation() throws {
        let ticker = try Ticker(parsing: "KRAKEN:BTCUSD")
        #expect(ticker.exchange == "KRAKEN")
        #expect(ticker.pair.base == "BTC")
        #expect(ticker.pair.quote == "USD")
        #expect(ticker.description == "KRAKEN:BTCUSD")
    }

    @Test func normalisesCaseAndSeparators() throws {
        #expect(try Ticker(parsing: "zonda:btc-usd") == Ticker(parsing: "ZONDA:BTCUSD"))
        #expect(try Ticker(parsing: "bitstamp:eth/eur").description == "BITSTAMP:ETHEUR")
    }

    @Test(arguments: [
        ("USDTUSD", "USDT", "USD"), ("BTCUSDT", "BTC", "USDT"), ("DOGEUSD", "DOGE", "USD"),
        ("MANAUSD", "MANA", "USD"), ("ETHBTC", "ETH", "BTC"), ("LTC-PLN", "LTC", "PLN"),
    ])
    func splitsPairsAtTheQuoteCurrency(symbol: String, base: String, quote: String) throws {
        let pair = try CurrencyPair(parsing: symbol)
        #expect(pair.base == base)
        #expect(pair.quote == quote)
    }

    @Test(arguments: ["KRAKEN:BTCUSD", "BITSTAMP:BTC-MXN", "KRAKEN:BTC-TUSD", "ZONDA:USDTUSD", "X:ETH-BTC", "X:AB-CD"])
    func everyTickerReadsBackAsWritten(text: String) throws {
        let ticker = try Ticker(parsing: text)
        #expect(try Ticker(parsing: ticker.description) == ticker)
    }

    @Test func writesPairsJoinedOnlyWhenThatIsUnambiguous() throws {
        #expect(try Ticker(parsing: "KRAKEN:BTC-USD").description == "KRAKEN:BTCUSD")
        #expect(try Ticker(parsing: "BITSTAMP:btc-mxn").description == "BITSTAMP:BTC-MXN")
        #expect(try Ticker(parsing: "KRAKEN:BTC-TUSD").description == "KRAKEN:BTC-TUSD")
    }

    @Test(arguments: ["KRAKEN", "KRAKEN:", ":BTCUSD", "KRAKEN:BTC:USD", "KRA KEN:BTCUSD", "KRAKEN:BTCXYZ", "KRAKEN:USD", "KRAKEN:BTC-"])
    func rejectsMalformedTickers(text: String) {
        #expect(throws: TickerError.self) { try Ticker(parsing: text) }
    }

    @Test func explainsAnUnsplittablePair() {
        let error = #expect(throws: TickerError.self) { try Ticker(parsing: "KRAKEN:FOOBAR") }
        #expect(error?.description.contains("BASE-QUOTE") == true)
    }
}
