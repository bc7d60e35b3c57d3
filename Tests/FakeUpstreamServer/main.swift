import FakeUpstream
import Foundation

/// Serves every fake exchange on 127.0.0.1 until killed: generated markets (`M00001USDT` on
/// Binance, `M00001-USD` on Zonda and Coinbase, `m00001usd` on Bitstamp and Gemini, `M00001USD` on
/// Kraken, `kraken:m00001usd` for Cryptowatch) whose prices walk at random, faults from the command
/// line, and the control API under `/_fake` to change faults while it runs. `scripts/bench` polls
/// 10,000 Zonda markets in one request (`--zonda-markets 10000`).
let usage = """
    usage: fake-upstream [--port PORT] [--markets COUNT] [--zonda-markets COUNT] [--walk-seconds SECONDS]
                         [--fault EXCHANGE:ENDPOINT=FAULT[@SHARE|@PAIR][#N|%K]]...

      --port PORT            listen on 127.0.0.1:PORT (default 9900)
      --markets COUNT        markets generated per exchange (default 10)
      --zonda-markets COUNT  Zonda's count, when it differs (load runs)
      --walk-seconds S       move every price a random step each S seconds; 0 keeps them still (default 1)
      --fault SPEC           inject a fault, repeatable; e.g. binance:quotes=rate-limited:5@0.1,
                             kraken:candles=latency:2s, '*:*=reset%10', coinbase:quotes=bad-value:null@BTC-USD#3
                             faults: latency:DUR no-answer server-error[:CODE] rate-limited[:SECONDS]
                             malformed-json truncated-json html wrong-content-type reset drip:DUR
                             status:CODE[:BODY] wrong-pair stale:SECONDS bad-value[:RAW-JSON]

    control API (same port):
      GET /_fake/faults               the faults in force
      PUT /_fake/faults               replace them: ["spec", ...] or {"faults": ["spec", ...]}
      POST /_fake/faults              add to them (same body)
      DELETE /_fake/faults            remove them all
      GET /_fake/requests             requests per route so far
    """

func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-upstream: \(message)\n\n\(usage)\n".utf8))
    exit(2)
}

/// ``die(_:)`` where a value is expected: `Int(text) ?? fail("...")`.
func fail<Value>(_ message: String) -> Value { die(message) }

/// Writes a line to standard output at once (no buffering), for scripts that wait for it.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

var port = 9900
var marketCount = 10
var zondaMarkets: Int?
var walkSeconds = 1.0
var faults: [FakeUpstream.FaultRule] = []
var arguments = CommandLine.arguments.dropFirst()
while let option = arguments.popFirst() {
    if option == "--help" || option == "-h" {
        print(usage)
        exit(0)
    }
    guard let value = arguments.popFirst() else { die("\(option) needs a value") }
    switch option {
    case "--port": port = Int(value) ?? fail("--port needs a number")
    case "--markets": marketCount = Int(value) ?? fail("--markets needs a number")
    case "--zonda-markets": zondaMarkets = Int(value) ?? fail("--zonda-markets needs a number")
    case "--walk-seconds": walkSeconds = Double(value) ?? fail("--walk-seconds needs a number")
    case "--fault":
        do { faults += try FaultSpec.parse(value) } catch { die(error.description) }
    default: die("unknown option \(option)")
    }
}

let fake = FakeUpstream()
for exchange in FakeUpstream.Exchange.allCases {
    let count = max(exchange == .zonda ? zondaMarkets ?? marketCount : marketCount, 1)
    for index in 1...count {
        fake.setMarket(
            exchange, FakeUpstream.generatedMarketKey(index, on: exchange),
            price: 100 + Double(index % 1_000) / 7, volume: Double(index % 97) + 1)
    }
}
faults.forEach(fake.addFaultRule)

/// SplitMix64: a small seeded generator, so that two runs walk the same way.
struct Walk {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// A step in -0.001...0.001, relative.
    mutating func step() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) / Double(1 << 53) - 0.5) / 500
    }
}

let (listenPort, perExchange, zondaCount, stepSeconds, startingFaults) = (port, marketCount, zondaMarkets, walkSeconds, faults)
try await fake.withRunning(port: listenPort, controlAPI: true) { url in
    let snippet = FakeUpstream.Exchange.allCases.map { "\"\($0.rawValue)\": {\"base_url\": \"\(url)\"}" }.joined(separator: ", ")
    let zonda = zondaCount.map { ", \($0) Zonda markets (ZONDA:M00001USD, ...)" } ?? ""
    say("fake upstream at \(url): \(perExchange) markets per exchange (BINANCE:M00001USDT, ...)\(zonda)")
    let active = startingFaults.isEmpty ? "none" : startingFaults.map(\.description).joined(separator: " ")
    say("faults: \(active); change them at \(url)/_fake/faults")
    say("config: {\"upstreams\": {\(snippet)}}")
    var walk = Walk()
    while true {
        guard stepSeconds > 0 else {
            try await Task.sleep(for: .seconds(3_600))
            continue
        }
        try await Task.sleep(for: .milliseconds(Int(stepSeconds * 1000)))
        fake.updateMarkets { _, _, market in
            market.price = FakeUpstream.Market.rounded(market.price * (1 + walk.step()))
            market.volume = FakeUpstream.Market.rounded(max(0, market.volume * (1 + walk.step())))
        }
    }
}
