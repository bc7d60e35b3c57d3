import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MetricsCore
import NIOCore
import Synchronization
import TestSupport

/// A stand-in for the exchanges on 127.0.0.1: one server speaks Kraken's, Zonda's, Coinbase
/// Exchange's, Binance's, Bitstamp's, Gemini's and Cryptowatch's wire formats (their paths do not
/// collide) with prices the test sets, and misbehaves on demand, so that adapters, the poller and
/// its breakers are tested against real HTTP without the internet.
///
/// Each format lives in `Formats/`, shaped after the exchanges' real answers (kept as fixtures in
/// Tests/QuoteSourcesTests/Fixtures, with their sources). Markets are set per exchange under the name that
/// exchange's requests use (``Exchange/marketKey(base:quote:)``); candles are derived from them
/// deterministically (``Market``). Faults (``Fault``) are set per route (exchange × quotes or
/// candles), optionally for one pair, a share of pairs, the next N requests or every k-th one.
/// Thread-safe: tests may change markets and faults while requests are in flight.
public final class FakeUpstream: Sendable {
    private let state = Mutex<State>(State())

    private struct State {
        var markets: [Exchange: [String: Market]] = [:]
        var rules: [ActiveRule] = []
        var requests: [(route: Route, uri: String)] = []
        var apiKeys: [String] = []
        var frozenNow: Double?
        /// Set when `withRunning`'s body has returned: hanging answers stop waiting.
        var stopping = false
    }

    /// A rule and how many matching requests it has seen, for ``Recurrence/everyNth(_:)`` and ``Recurrence/next(_:)``.
    private struct ActiveRule {
        var rule: FaultRule
        var matched = 0
        var fired = 0
    }

    public init() {}

    // MARK: Markets

    /// Sets a market of `exchange` under its request name (`BTCUSDT`, `BTC-USD`, `btcusd`, `XBTUSD`,
    /// `kraken:btcusd`; letter case is the fake's business), replacing any earlier values.
    public func setMarket(
        _ exchange: Exchange, _ key: String, price: Double, volume: Double, historyDepth: Duration = Market.defaultHistoryDepth
    ) {
        state.withLock {
            $0.markets[exchange, default: [:]][exchange.normalized(key)] = Market(price: price, volume: volume, historyDepth: historyDepth)
        }
    }

    /// Removes a market: requests for it then get the exchange's "unknown pair" answer.
    public func removeMarket(_ exchange: Exchange, _ key: String) {
        state.withLock { _ = $0.markets[exchange]?.removeValue(forKey: exchange.normalized(key)) }
    }

    /// The market as the fake serves it, for computing expected values (``Market/candle(openingAt:period:)``).
    public func market(_ exchange: Exchange, _ key: String) -> Market? {
        state.withLock { $0.markets[exchange]?[exchange.normalized(key)] }
    }

    /// The keys of every market set on `exchange`, sorted.
    public func marketKeys(_ exchange: Exchange) -> [String] {
        state.withLock { ($0.markets[exchange] ?? [:]).keys.sorted() }
    }

    /// Changes every market of every exchange at once (the standalone server's random walk). A
    /// changed price or volume is sent formatted from then on, not as a legacy setter's text.
    public func updateMarkets(_ change: (Exchange, String, inout Market) -> Void) {
        state.withLock { state in
            for exchange in state.markets.keys {
                for key in state.markets[exchange]!.keys {
                    var market = state.markets[exchange]![key]!
                    let before = market
                    change(exchange, key, &market)
                    if market.price != before.price { market.priceText = nil }
                    if market.volume != before.volume { market.volumeText = nil }
                    state.markets[exchange]![key] = market
                }
            }
        }
    }

    /// Sets a Kraken market under the key Kraken answers with (`XXBTZUSD`, `XDGUSD`), values sent
    /// exactly as given. Requests name it `XBTUSD` (Kraken's X/Z prefixes dropped).
    public func setKraken(_ answerKey: String, price: String, volume: String) {
        setLegacy(.kraken, KrakenFormat.requestName(ofAnswerKey: answerKey), price: price, volume: volume, answerKey: answerKey)
    }

    /// Sets a Zonda market by its code (`BTC-USD`), values sent exactly as given.
    public func setZonda(_ market: String, price: String, volume: String) {
        setLegacy(.zonda, market, price: price, volume: volume, answerKey: nil)
    }

    /// Sets a Cryptowatch-compatible market (`kraken`, `btcusd`).
    public func setCryptowatch(exchange: String, pair: String, price: Double, volume: Double) {
        setMarket(.cryptowatch, "\(exchange):\(pair)", price: price, volume: volume)
    }

    private func setLegacy(_ exchange: Exchange, _ key: String, price: String, volume: String, answerKey: String?) {
        var market = Market(price: Double(price) ?? .nan, volume: Double(volume) ?? .nan)
        market.priceText = price
        market.volumeText = volume
        market.answerKey = answerKey
        state.withLock { $0.markets[exchange, default: [:]][exchange.normalized(key)] = market }
    }

    /// The generated Zonda market number `index` for load runs: `M00001-USD`.
    public static func zondaMarketName(_ index: Int) -> String { generatedMarketKey(index, on: .zonda) }

    /// The generated market number `index` of `exchange` in its request style, valid for
    /// `CurrencyPair` parsing: `M00001USDT` (Binance), `M00001-USD`, `m00001usd`, `kraken:m00001usd`.
    public static func generatedMarketKey(_ index: Int, on exchange: Exchange) -> String {
        let digits = String(index)
        let base = "M" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return exchange.marketKey(base: base, quote: exchange == .binance ? "USDT" : "USD")
    }

    /// Stops the fake's clock at `epochSeconds` (or lets it run again with nil), so that candle
    /// times and exchange timestamps are exact in tests.
    public func freezeTime(at epochSeconds: Double?) {
        state.withLock { $0.frozenNow = epochSeconds }
    }

    // MARK: Faults

    /// Makes `route` misbehave: for every request, or only those naming `pair`, and only the next
    /// `times` of them when given (then normal answers again). A later fault on the same route is
    /// tried first.
    public func setFault(_ fault: Fault, on route: Route, pair: String? = nil, times: Int? = nil) {
        addFaultRule(
            FaultRule(
                fault, on: route, pairs: pair.map { .pair(route.exchange.normalized($0)) } ?? .all,
                recurrence: times.map { .next($0) } ?? .always))
    }

    /// Makes `route` misbehave for a deterministic `share` (0...1) of its pairs: for soak tests.
    public func setFault(_ fault: Fault, on route: Route, forShare share: Double) {
        addFaultRule(FaultRule(fault, on: route, pairs: .share(share)))
    }

    /// Makes `route` misbehave on every `k`-th request.
    public func setFault(_ fault: Fault, on route: Route, everyNth k: Int) {
        addFaultRule(FaultRule(fault, on: route, recurrence: .everyNth(k)))
    }

    /// Adds a rule as ``FaultSpec/parse(_:)`` returns them.
    public func addFaultRule(_ rule: FaultRule) {
        state.withLock { $0.rules.append(ActiveRule(rule: rule)) }
    }

    /// Removes the faults of `route`, or every fault.
    public func clearFaults(on route: Route? = nil) {
        state.withLock { state in state.rules.removeAll { route == nil || $0.rule.route == route } }
    }

    /// The faults in force, oldest first; rules limited to N requests leave once spent.
    public var faultRules: [FaultRule] { state.withLock { $0.rules.map(\.rule) } }

    // MARK: Requests

    /// Every request served so far, as `path?query`.
    public var requests: [String] { state.withLock { $0.requests.map(\.uri) } }

    /// The requests `route` received, as `path?query`: to count retries and rate-limit behaviour.
    public func requests(on route: Route) -> [String] {
        state.withLock { $0.requests.filter { $0.route == route }.map(\.uri) }
    }

    /// How many requests `route` received.
    public func requestCount(on route: Route) -> Int { state.withLock { $0.requests.count { $0.route == route } } }

    /// The `X-CW-API-Key` header of every request that had one.
    public var apiKeys: [String] { state.withLock { $0.apiKeys } }

    // MARK: Serving

    /// Runs the fake on 127.0.0.1 (on a free port unless `port` names one) for the duration of
    /// `body`, which gets its base URL. When `body` ends, the server shuts down gracefully: it stops
    /// listening, and every answer still held back (a slow drip, a long latency, a request never
    /// answered) ends at once, its connection closed.
    public func withRunning<Result: Sendable>(
        port: Int = 0, controlAPI: Bool = false, _ body: @Sendable (String) async throws -> Result
    ) async throws -> Result {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-upstream")
        // The fake serves tests and demos: its own log is not news there.
        logger.logLevel = .critical
        let app = Application(
            router: buildRouter(controlAPI: controlAPI),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        state.withLock { $0.stopping = false }
        return try await withRunningService(app, logger: logger) {
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            defer { state.withLock { $0.stopping = true } }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    private func buildRouter(controlAPI: Bool) -> Router<FakeRequestContext> {
        let router = Router(context: FakeRequestContext.self)
        KrakenFormat.addRoutes(to: router, fake: self)
        ZondaFormat.addRoutes(to: router, fake: self)
        CoinbaseFormat.addRoutes(to: router, fake: self)
        BinanceFormat.addRoutes(to: router, fake: self)
        BitstampFormat.addRoutes(to: router, fake: self)
        GeminiFormat.addRoutes(to: router, fake: self)
        CryptowatchFormat.addRoutes(to: router, fake: self)
        if controlAPI { ControlAPI.addRoutes(to: router, fake: self) }
        return router
    }

    /// Answers one request of `route` about `pairs` (empty for an all-markets request): records
    /// it, picks the faults that fire, builds the exchange's answer with `answer` and sends it the
    /// way the transport fault, if any, says.
    func serve(
        _ route: Route, _ request: Request, _ context: FakeRequestContext, pairs: [String],
        answer: (Snapshot) -> Answer
    ) async throws -> Response {
        let pairs = pairs.map(route.exchange.normalized)
        let (transport, snapshot) = state.withLock { state in
            state.requests.append((route, request.uri.description))
            if let key = request.headers[HTTPField.Name("X-CW-API-Key")!] { state.apiKeys.append(key) }
            let markets = state.markets[route.exchange] ?? [:]
            let (transport, data) = Self.firingFaults(&state.rules, route: route, pairs: pairs, markets: markets)
            let now = state.frozenNow ?? Date().timeIntervalSince1970
            return (transport, Snapshot(exchange: route.exchange, markets: markets, dataFaults: data, now: now))
        }
        return try await Transport.send(answer(snapshot), fault: transport, exchange: route.exchange, channel: context.channel) { [self] in
            state.withLock { $0.stopping }
        }
    }

    /// The transport fault (the latest set that fires) and the data faults that fire for one
    /// request; counts matches and retires spent rules.
    private static func firingFaults(
        _ rules: inout [ActiveRule], route: Route, pairs: [String], markets: [String: Market]
    ) -> (Fault?, [FaultRule]) {
        var transport: Fault?
        var data: [FaultRule] = []
        // One data fault of each kind per scope: the latest set wins.
        var dataKinds: Set<String> = []
        for index in rules.indices.reversed() where rules[index].rule.route == route {
            let rule = rules[index].rule
            let matches: Bool
            if case .all = rule.pairs {
                matches = true
            } else if rule.fault.isDataFault && pairs.isEmpty {
                matches = markets.keys.contains(where: rule.pairs.includes)
            } else {
                matches = pairs.contains(where: rule.pairs.includes)
            }
            let kind = "\(rule.fault.kindName)|\(rule.pairs)"
            guard matches, rule.fault.isDataFault ? !dataKinds.contains(kind) : transport == nil else { continue }
            rules[index].matched += 1
            if case .everyNth(let k) = rule.recurrence, rules[index].matched % k != 0 { continue }
            rules[index].fired += 1
            if rule.fault.isDataFault {
                data.append(rule)
                dataKinds.insert(kind)
            } else {
                transport = rule.fault
            }
            if case .next(let count) = rule.recurrence, rules[index].fired >= count { rules.remove(at: index) }
        }
        return (transport, data)
    }
}

/// The request context of the fake's routes: it keeps the connection, so that a fault can watch it
/// close (``FakeUpstream/Fault/noAnswer``) or reset it (``FakeUpstream/Fault/connectionReset``).
struct FakeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
