import MetricsCore

/// Kraken's public REST API: `GET /0/public/Ticker?pair=XBTUSD,ETHUSD,...`, all pairs in one request.
///
/// Price is `c[0]` (last trade closed), volume `v[1]` (last 24 hours, base asset), both decimal
/// strings. Kraken names some assets its own way (XBT for BTC, XDG for DOGE) and keys its answer by
/// its own pair names (`XXBTZUSD`, `XDGUSD`, `USDTZUSD`), which ``KrakenPairNames`` maps back. An
/// unknown pair fails Kraken's whole request with `EQuery:Unknown asset pair`; the adapter then asks
/// for each pair alone, so that one misconfigured pair does not silence the others.
///
/// Candles come from `GET /0/public/OHLC?pair=XBTUSD&interval=5&since=`, which answers at most the
/// 720 most recent candles of an interval whatever `since` says, so the interval is the finest
/// whose 720 candles reach back to the start of the range (``KrakenCandleInterval``): 5 minutes
/// (60 hours) for the usual 48.
public struct KrakenUpstream: CandleUpstream {
    public static let defaultBaseURL = "https://api.kraken.com"
    /// Kraken rate-limits public endpoints by IP address (and by pair for Trades and OHLC) and says
    /// that calling them once a second or less stays within the limits, while more may be throttled
    /// for a few seconds ("What are the API rate limits?", section "Public (REST Market Data)",
    /// https://support.kraken.com/articles/206548367-what-are-the-api-rate-limits-). The call
    /// counters on docs.kraken.com/api/docs/guides/spot-rest-ratelimits apply to private calls.
    public static let rateLimit = RateLimit(requests: 1, per: .seconds(1))

    public let name = "kraken"
    public let baseURL: String
    let http: UpstreamHTTPClient
    private let unknownPairs = UnknownPairs()

    public init(baseURL: String = Self.defaultBaseURL, http: UpstreamHTTPClient) {
        self.baseURL = baseURL.trimmingTrailingSlash
        self.http = http
    }

    public var endpointDescription: String { "\(baseURL)/0/public/Ticker" }

    /// All pairs in one request, as Kraken allows (see ``UnknownPairs`` for a pair it does not list).
    public func quotes(for tickers: [Ticker], at timestamp: Timestamp) async -> [Ticker: Result<Quote, UpstreamError>] {
        await unknownPairs.quotes(for: tickers, batchSize: max(tickers.count, 1), concurrency: http.concurrentRequests) {
            tickers throws(UpstreamError) in
            let answer = try await request(tickers)
            return Dictionary(
                uniqueKeysWithValues: tickers.map { ticker in
                    (ticker, Result { () throws(UpstreamError) in try answer.quote(for: ticker.pair) })
                })
        }
    }

    public func candles(for ticker: Ticker, closingIn range: TimeRange) async throws(UpstreamError) -> [Candle] {
        let now = Timestamp.now
        let interval = KrakenCandleInterval.choose(reachingBack: range.from, now: now)
        let (status, body) = try await http.get(Self.ohlcURL(baseURL: baseURL, pair: ticker.pair, interval: interval, range: range))
        let answer = try KrakenOHLCAnswer(status: status, body: body.readableBytesView, pair: ticker.pair, interval: interval)
        return CandlePages.finished(answer.committed, closingIn: range, now: now)
    }

    /// `since` is one interval before the range, so that the candle closing at its start is
    /// included; Kraken caps the answer at 720 candles regardless.
    static func ohlcURL(baseURL: String, pair: CurrencyPair, interval: KrakenCandleInterval, range: TimeRange) -> String {
        // `since` is exclusive: two intervals back, the candle closing at `range.from` is in.
        let since = range.from.microsecondsSince1970 / 1_000_000 - 2 * Int64(interval.minutes) * 60
        return "\(baseURL)/0/public/OHLC?pair=\(KrakenPairNames.requestName(for: pair))&interval=\(interval.minutes)&since=\(since)"
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
        let result = try KrakenResponse.result(status: status, body: body, asked: asked)
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

/// Kraken's answer envelope: `{"error": [...], "result": {...}}`.
enum KrakenResponse {
    /// The `result` object of an answer to a request for `asked` (the `?pair=` value). Kraken
    /// reports its errors in the body's `error` array, with 200 and sometimes with an error status.
    static func result(status: Int, body: some Collection<UInt8>, asked: String) throws(UpstreamError) -> [String: JSONValue] {
        let parsed = ParsedBody(body, upstream: "kraken")
        let document = parsed.document
        if let errors = document?["error"]?.strings, !errors.isEmpty {
            if errors.contains(where: { $0.hasPrefix("EQuery:Unknown asset pair") }) {
                throw .unknownPair(asked)
            }
            // Kraken throttles and announces outages in the body, often with a 200: say what they are.
            if errors.contains(where: { $0.hasPrefix("EAPI:Rate limit exceeded") || $0.hasPrefix("EGeneral:Too many requests") }) {
                throw .rateLimited(retryAfterSeconds: nil)
            }
            if errors.contains(where: { $0.hasPrefix("EService:Unavailable") || $0.hasPrefix("EService:Busy") }) {
                throw .httpStatus(status == 200 ? 503 : status, body: errors.joined(separator: "; "))
            }
            throw .exchangeError(errors.joined(separator: "; "))
        }
        try UpstreamHTTPClient.requireSuccess(status, body)
        guard let result = try parsed.json()["result"]?.object else {
            throw .malformedBody("Kraken's answer has no \"result\" object")
        }
        return result
    }
}

/// An OHLC answer: the candles under Kraken's name for the pair, and `last`, the open time of the
/// newest committed candle.
///
/// Kraken's newest row is the candle still forming; `last` says which rows are final, so rows
/// opening after it are dropped (the caller also drops any candle closing after the present).
/// `last` is a number in Kraken's answers but a string in some captures, so both are read.
struct KrakenOHLCAnswer {
    /// The committed candles, oldest first.
    let committed: [Candle]

    init(status: Int, body: some Collection<UInt8>, pair: CurrencyPair, interval: KrakenCandleInterval) throws(UpstreamError) {
        let asked = KrakenPairNames.requestName(for: pair)
        let result = try KrakenResponse.result(status: status, body: body, asked: asked)
        let last = try result["last"].epochTime("result.last", unit: .seconds)
        let keys = result.keys.filter { $0 != "last" }.sorted()
        guard let key = keys.first(where: { KrakenPairNames.answerKey($0, isFor: pair) }) else {
            if let other = keys.first { throw .wrongPair(asked: asked, answered: other) }
            throw .malformedBody("Kraken's OHLC answer has no candles for \(asked)")
        }
        let period = Duration.seconds(interval.minutes * 60)
        var candles: [Candle] = []
        for row in try CandleRow.rows(result[key], path: "result.\(key)", columns: 7) {
            let open = try row.time(0, unit: .seconds)
            guard open <= last else { continue }
            candles.append(
                try Candle(opening: open, period: period, close: try row.decimal(4, "close"), volume: try row.decimal(6, "volume")))
        }
        committed = candles.sorted { $0.openTime < $1.openTime }
    }
}

/// The OHLC interval for a history: the finest of Kraken's intervals whose 720 candles (one of them
/// still open) reach back to the start of the range.
struct KrakenCandleInterval: Hashable {
    /// The intervals Kraken offers, in minutes.
    static let offered = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600]
    /// Kraken's answer holds at most this many candles, the newest still open.
    static let rowsPerAnswer = 720

    let minutes: Int

    /// For a history starting at `from`: one minute for up to 12 hours, five for up to 60, and so on;
    /// Kraken's coarsest for anything longer.
    static func choose(reachingBack from: Timestamp, now: Timestamp) -> KrakenCandleInterval {
        let seconds = Double(now.microsecondsSince1970 - from.microsecondsSince1970) / 1_000_000
        let fitting = offered.first { Double((rowsPerAnswer - 1) * $0 * 60) >= seconds }
        return KrakenCandleInterval(minutes: fitting ?? offered.last!)
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

    /// Whether an answer key (`XXBTZUSD`, `XBTUSDT`, `DAIUSD`) names `pair`.
    static func answerKey(_ key: String, isFor pair: CurrencyPair) -> Bool {
        key == requestName(for: pair) || key == pair.base + pair.quote || readings(ofKey: key).contains(reading(of: pair))
    }

    /// The common-code readings of an answer key (`XXBTZUSD` → `XXBT/ZUSD`, ..., `BTC/USD`), one per
    /// place the key could split into base and quote.
    static func readings(ofKey key: String) -> [String] {
        // A pair's name is a few letters; a longer key is no pair we asked for, and its readings
        // would cost time and memory quadratic in its length (found by fuzzing).
        guard key.utf8.count <= Self.longestKey else { return [] }
        return key.indices.dropFirst().map { split in "\(normalized(String(key[..<split])))/\(normalized(String(key[split...])))" }
    }

    /// Longer than any pair's name Kraken gives (`XXBTZUSD`, `WBTCUSD`), with room to spare.
    static let longestKey = 32

    /// The reading of a configured pair, in common codes: `XBTUSD` and `BTCUSD` both read `BTC/USD`.
    static func reading(of pair: CurrencyPair) -> String {
        "\(normalized(pair.base))/\(normalized(pair.quote))"
    }

    private static func normalized(_ asset: String) -> String {
        if let common = prefixedAssets[asset] { return common }
        return commonCodes[asset] ?? asset
    }
}
