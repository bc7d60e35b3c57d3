import MetricsCore

/// Kraken's public REST API: `GET /0/public/Ticker?pair=XBTUSD,ETHUSD,...`, all pairs in one request.
///
/// Price is `c[0]` (last trade closed), volume `v[1]` (last 24 hours, base asset), both decimal
/// strings. Kraken names some assets its own way (XBT for BTC, XDG for DOGE) and keys its answer by
/// its own pair names (`XXBTZUSD`, `XDGUSD`, `USDTZUSD`), which ``KrakenPairNames`` maps back. An
/// unknown pair fails Kraken's whole request with `EQuery:Unknown asset pair`; the adapter then asks
/// for each pair alone, so that one misconfigured pair does not silence the others.
public struct KrakenUpstream: QuoteUpstream {
    public static let defaultBaseURL = "https://api.kraken.com"
    /// Kraken's public endpoints allow about one request a second from an address; TODO(adapters): cite.
    public static let rateLimit = RateLimit(requests: 1, per: .seconds(1))

    public let name = "kraken"
    public let baseURL: String
    let http: UpstreamHTTPClient

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/0/public/Ticker" }

    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        guard !tickers.isEmpty else { return [:] }
        do throws(UpstreamError) {
            let answer = try await request(tickers)
            return Dictionary(
                uniqueKeysWithValues: tickers.map { ticker in
                    (ticker, Result { () throws(UpstreamError) in try answer.quote(for: ticker.pair) })
                }
            )
        } catch .unknownPair where tickers.count > 1 {
            // Find the culprit: ask for each pair alone.
            let results = await boundedConcurrentMap(tickers, limit: 4) { ticker in
                (ticker, await quotes(for: [ticker], at: timestamp)[ticker]!)
            }
            return Dictionary(uniqueKeysWithValues: results)
        } catch {
            return Dictionary(uniqueKeysWithValues: tickers.map { ($0, .failure(error)) })
        }
    }

    private func request(_ tickers: [Ticker]) async throws(UpstreamError) -> KrakenTickerAnswer {
        let pairs = tickers.map { KrakenPairNames.requestName(for: $0.pair) }.joined(separator: ",")
        let (status, body) = try await http.get("\(baseURL)/0/public/Ticker?pair=\(pairs)")
        return try KrakenTickerAnswer(status: status, body: body.readableBytesView, asked: pairs)
    }
}

/// The `result` object of a Ticker answer, keyed by Kraken's pair names.
struct KrakenTickerAnswer {
    let entries: [String: JSONValue]
    /// Answer keys by every name a pair may be looked up under: the key itself and each common-code
    /// reading of it (`BTC/USD` for `XXBTZUSD`), built once so that a lookup costs one hash.
    private let keysByName: [String: String]

    /// Reads an answer to a request for `asked` (the `?pair=` list). Kraken reports its errors in
    /// the body's `error` array, with 200 and sometimes with an error status.
    init(status: Int, body: some Collection<UInt8>, asked: String) throws(UpstreamError) {
        let document = try? JSONValue.parse(body, upstream: "kraken")
        if let errors = document?["error"]?.strings, !errors.isEmpty {
            if errors.contains(where: { $0.hasPrefix("EQuery:Unknown asset pair") }) {
                throw .unknownPair(asked)
            }
            throw .exchangeError(errors.joined(separator: "; "))
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
        guard let result = try document.orParsing(body, upstream: "kraken")["result"]?.object else {
            throw .malformedBody("Kraken's answer has no \"result\" object")
        }
        entries = result
        var names: [String: String] = [:]
        for key in result.keys.sorted() {
            names[key] = key
            for reading in KrakenPairNames.readings(ofKey: key) where names[reading] == nil { names[reading] = key }
        }
        keysByName = names
    }

    func quote(for pair: CurrencyPair) throws(UpstreamError) -> Quote {
        let candidates = [KrakenPairNames.requestName(for: pair), pair.base + pair.quote, KrakenPairNames.reading(of: pair)]
        guard let key = candidates.lazy.compactMap({ keysByName[$0] }).first, let entry = entries[key] else {
            throw .malformedBody("Kraken's answer has no entry for \(pair) (keys: \(entries.keys.sorted().joined(separator: ", ")))")
        }
        return try Quote(
            price: (entry["c"]?[0]).decimal("result.\(key).c[0]"),
            volume: (entry["v"]?[1]).decimal("result.\(key).v[1]")
        )
    }
}

/// Kraken's asset and pair names, which differ from everyone else's.
enum KrakenPairNames {
    /// Kraken's codes for assets whose common code differs.
    private static let krakenCodes = ["BTC": "XBT", "DOGE": "XDG"]
    private static let commonCodes = ["XBT": "BTC", "XDG": "DOGE"]

    /// Kraken's older assets carry an X (crypto) or Z (fiat) prefix in answer keys: `XXBTZUSD`.
    private static let prefixedAssets: [String: String] = [
        "XXBT": "BTC", "XETH": "ETH", "XLTC": "LTC", "XXDG": "DOGE", "XXRP": "XRP", "XXLM": "XLM",
        "XETC": "ETC", "XXMR": "XMR", "XZEC": "ZEC", "XMLN": "MLN", "XREP": "REP",
        "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZJPY": "JPY", "ZCAD": "CAD", "ZAUD": "AUD", "ZCHF": "CHF",
    ]

    /// The name to put in `?pair=`: Kraken's codes, no separator (`XBTUSD`, `XDGUSD`).
    static func requestName(for pair: CurrencyPair) -> String {
        (krakenCodes[pair.base] ?? pair.base) + (krakenCodes[pair.quote] ?? pair.quote)
    }

    /// The common-code readings of an answer key (`XXBTZUSD` → `XXBT/ZUSD`, ..., `BTC/USD`), one per
    /// place the key could split into base and quote.
    static func readings(ofKey key: String) -> [String] {
        key.indices.dropFirst().map { split in "\(normalized(String(key[..<split])))/\(normalized(String(key[split...])))" }
    }

    /// The reading of a configured pair, in common codes: `XBTUSD` and `BTCUSD` both read `BTC/USD`.
    static func reading(of pair: CurrencyPair) -> String {
        "\(normalized(pair.base))/\(normalized(pair.quote))"
    }

    private static func normalized(_ asset: String) -> String {
        if let common = prefixedAssets[asset] { return common }
        return commonCodes[asset] ?? asset
    }
}
