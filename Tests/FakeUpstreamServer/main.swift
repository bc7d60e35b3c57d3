import FakeUpstream
import Foundation

/// Serves the fake exchanges on 127.0.0.1 until killed, with generated Zonda markets `M00001-USD`,
/// `M00002-USD`, ... for load runs (`scripts/bench` polls 10,000 of them in one request).
let usage = "usage: fake-upstream [--port PORT] [--zonda-markets COUNT]"
var port = 9900
var zondaMarkets = 10
var arguments = CommandLine.arguments.dropFirst()
while let option = arguments.popFirst() {
    guard let value = arguments.popFirst().flatMap(Int.init) else {
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(2)
    }
    switch option {
    case "--port": port = value
    case "--zonda-markets": zondaMarkets = value
    default:
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(2)
    }
}

let fake = FakeUpstream()
let marketCount = max(zondaMarkets, 1)
for index in 1...marketCount {
    let price = 100 + Double(index % 1_000) / 7
    fake.setZonda(
        FakeUpstream.zondaMarketName(index), price: String(format: "%.2f", price), volume: String(format: "%.4f", Double(index % 97) + 1))
}
try await fake.withRunning(port: port) { url in
    let first = FakeUpstream.zondaMarketName(1).replacingOccurrences(of: "-", with: "")
    FileHandle.standardOutput.write(Data("fake upstream at \(url) with \(marketCount) Zonda markets (ZONDA:\(first), ...)\n".utf8))
    while true { try await Task.sleep(for: .seconds(3_600)) }
}
