import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MetricsCore
import NIOCore
import Synchronization

/// A stand-in for the exchanges on 127.0.0.1: it speaks Kraken's, Zonda's and Cryptowatch's wire
/// formats with prices the test sets, and can be told to misbehave per route, so that adapters and
/// the poller are tested against real HTTP without the internet.
///
/// Formats follow the exchanges' documented answers (see Tests/QuoteSourcesTests/Fixtures/README.md).
public final class FakeUpstream: Sendable {
    /// How a route answers.
    public enum Behaviour: Sendable, Equatable {
        /// The exchange's normal answer.
        case normal
        /// The normal answer after a delay.
        case delayed(Duration)
        /// This status with this body.
        case status(Int, body: String)
        /// 200 with an HTML error page.
        case html
        /// 200 with a body cut off mid-JSON.
        case truncatedJSON
    }

    /// The exchange routes the fake serves.
    public enum Route: String, Sendable, CaseIterable {
        case kraken, zonda, cryptowatch
    }

    /// Per-market values: price and volume, in the exchange's own key (`XXBTZUSD`, `BTC-USD`, `kraken:btcusd`).
    private let state = Mutex<State>(State())

    private struct State {
        var kraken: [String: (price: String, volume: String)] = [:]
        var zonda: [String: (price: String, volume: String)] = [:]
        var cryptowatch: [String: (price: Double, volume: Double)] = [:]
        var behaviours: [Route: Behaviour] = [:]
        var requests: [String] = []
        var apiKeys: [String] = []
    }

    public init() {}

    /// Sets a Kraken market under the key Kraken answers with (`XXBTZUSD`), values as Kraken's strings.
    public func setKraken(_ key: String, price: String, volume: String) {
        state.withLock { $0.kraken[key] = (price, volume) }
    }

    /// Sets a Zonda market by its code (`BTC-USD`).
    public func setZonda(_ market: String, price: String, volume: String) {
        state.withLock { $0.zonda[market] = (price, volume) }
    }

    /// Sets a Cryptowatch-compatible market (`kraken`, `btcusd`).
    public func setCryptowatch(exchange: String, pair: String, price: Double, volume: Double) {
        state.withLock { $0.cryptowatch["\(exchange):\(pair)"] = (price, volume) }
    }

    /// The generated Zonda market number `index` for load runs: `M00001-USD`.
    public static func zondaMarketName(_ index: Int) -> String {
        let digits = String(index)
        return "M" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + "-USD"
    }

    public func setBehaviour(_ behaviour: Behaviour, for route: Route) {
        state.withLock { $0.behaviours[route] = behaviour }
    }

    /// Every request served so far, as `path?query`.
    public var requests: [String] { state.withLock { $0.requests } }

    /// The `X-CW-API-Key` header of every request that had one.
    public var apiKeys: [String] { state.withLock { $0.apiKeys } }

    /// Runs the fake on 127.0.0.1 (on a free port unless `port` names one) for the duration of
    /// `body`, which gets its base URL.
    public func withRunning<Result: Sendable>(port: Int = 0, _ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-upstream")
        logger.logLevel = .error
        let app = Application(
            router: buildRouter(),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    private func behaviour(_ route: Route, _ request: Request) -> Behaviour {
        state.withLock { state in
            state.requests.append(request.uri.description)
            if let key = request.headers[HTTPField.Name("X-CW-API-Key")!] { state.apiKeys.append(key) }
            return state.behaviours[route] ?? .normal
        }
    }

    private func respond(_ route: Route, _ request: Request, normal: () throws -> (Int, String)) async throws -> Response {
        let (status, body, contentType): (Int, String, String)
        switch behaviour(route, request) {
        case .normal:
            (status, body) = try normal()
            contentType = "application/json"
        case .delayed(let delay):
            try await Task.sleep(for: delay)
            (status, body) = try normal()
            contentType = "application/json"
        case .status(let code, let text):
            (status, body, contentType) = (code, text, "application/json")
        case .html:
            (status, body, contentType) = (
                200, "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>", "text/html"
            )
        case .truncatedJSON:
            let (_, full) = try normal()
            (status, body, contentType) = (200, String(full.prefix(full.count / 2)), "application/json")
        }
        return Response(
            status: .init(code: status),
            headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    private func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("0/public/Ticker") { request, _ in
            try await self.respond(.kraken, request) { self.krakenTicker(pairs: request.uri.queryParameters.get("pair") ?? "") }
        }
        router.get("rest/trading/ticker") { request, _ in
            try await self.respond(.zonda, request) { self.zonda(market: nil, stats: false) }
        }
        router.get("rest/trading/ticker/{market}") { request, context in
            try await self.respond(.zonda, request) { self.zonda(market: context.parameters.get("market"), stats: false) }
        }
        router.get("rest/trading/stats") { request, _ in
            try await self.respond(.zonda, request) { self.zonda(market: nil, stats: true) }
        }
        router.get("rest/trading/stats/{market}") { request, context in
            try await self.respond(.zonda, request) { self.zonda(market: context.parameters.get("market"), stats: true) }
        }
        router.get("markets/{exchange}/{pair}/summary") { request, context in
            try await self.respond(.cryptowatch, request) {
                self.cryptowatch(exchange: context.parameters.get("exchange") ?? "", pair: context.parameters.get("pair") ?? "")
            }
        }
        return router
    }

    /// Kraken's Ticker answer. Which answer key belongs to which requested pair follows Kraken's
    /// naming: the fake answers every market it knows whose key contains the requested name's
    /// assets, and fails the whole request for a pair it does not know, as Kraken does.
    private func krakenTicker(pairs: String) -> (Int, String) {
        let markets = state.withLock { $0.kraken }
        var result: [String] = []
        for requested in pairs.split(separator: ",").map(String.init) {
            guard let key = markets.keys.first(where: { Self.krakenKey($0, answers: requested) }) else {
                return (200, #"{"error":["EQuery:Unknown asset pair"]}"#)
            }
            let (price, volume) = markets[key]!
            result.append(
                #""\#(key)":{"a":["\#(price)","1","1.000"],"b":["\#(price)","2","2.000"],"c":["\#(price)","0.00702654"],"v":["\#(volume)","\#(volume)"],"p":["\#(price)","\#(price)"],"t":[25646,28278],"l":["\#(price)","\#(price)"],"h":["\#(price)","\#(price)"],"o":"\#(price)"}"#
            )
        }
        return (200, #"{"error":[],"result":{"# + result.joined(separator: ",") + "}}")
    }

    /// Whether Kraken answers a request for `requested` (`XBTUSD`) under `key` (`XXBTZUSD`).
    static func krakenKey(_ key: String, answers requested: String) -> Bool {
        if key == requested { return true }
        // Kraken's legacy keys: X + 3-letter asset + Z + fiat, or asset + Z + fiat.
        let stripped = key.replacingOccurrences(
            of: "Z", with: "", options: [],
            range: key.index(key.endIndex, offsetBy: -4, limitedBy: key.startIndex).map { $0..<key.index(after: $0) })
        if stripped == requested { return true }
        return stripped.hasPrefix("X") && String(stripped.dropFirst()) == requested
    }

    private func zonda(market: String?, stats: Bool) -> (Int, String) {
        let markets = state.withLock { $0.zonda }
        func entry(_ code: String, _ values: (price: String, volume: String)) -> String {
            let (base, quote) = code.split(separator: "-").map(String.init).splitPair
            return stats
                ? #"{"m":"\#(code)","h":"\#(values.price)","l":"\#(values.price)","v":"\#(values.volume)","r24h":"\#(values.price)"}"#
                : #"{"market":{"code":"\#(code)","first":{"currency":"\#(base)","minOffer":"0.0000015","scale":8},"second":{"currency":"\#(quote)","minOffer":"0.1","scale":2},"amountPrecision":8,"pricePrecision":2,"ratePrecision":2},"time":"1710328237549","highestBid":"\#(values.price)","lowestAsk":"\#(values.price)","rate":"\#(values.price)","previousRate":"\#(values.price)"}"#
        }
        let key = stats ? "stats" : "ticker"
        if let market {
            guard let values = markets[market] else { return (200, #"{"status":"Fail","errors":["TICKER_NOT_FOUND"]}"#) }
            return (200, #"{"status":"Ok","\#(key)":\#(entry(market, values))}"#)
        }
        let items = markets.sorted { $0.key < $1.key }.map { #""\#($0.key)":\#(entry($0.key, $0.value))"# }
        return (200, #"{"status":"Ok","items":{"# + items.joined(separator: ",") + "}}")
    }

    private func cryptowatch(exchange: String, pair: String) -> (Int, String) {
        guard let values = state.withLock({ $0.cryptowatch["\(exchange):\(pair)"] }) else {
            return (404, #"{"error":"Instrument not found","allowance":{"cost":0,"remaining":1000}}"#)
        }
        return (
            200,
            #"{"result":{"price":{"last":\#(values.price),"high":\#(values.price),"low":\#(values.price),"change":{"percentage":0.001,"absolute":1}},"volume":\#(values.volume),"volumeQuote":\#(values.price * values.volume)},"allowance":{"cost":4203390,"remaining":3898415262}}"#
        )
    }
}

extension Array where Element == String {
    fileprivate var splitPair: (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}
