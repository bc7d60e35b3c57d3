import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP connection to 127.0.0.1 that sends whatever bytes a test writes and reads whatever comes
/// back, for what an HTTP client will not do: a head a byte at a time, a head too large, a
/// connection left idle.
public struct RawConnection {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    /// Everything read so far.
    public private(set) var received: [UInt8] = []
    /// Whether the server closed the connection (the read side ended).
    public private(set) var closedByPeer = false

    /// Connects to `port` on 127.0.0.1 for the length of `body`.
    public static func with<Result>(port: Int, _ body: (inout RawConnection) async throws -> Result) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(channel: channel, outbound: outbound, inbound: inbound.makeAsyncIterator())
            return try await body(&connection)
        }
    }

    private init(
        channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    ) {
        self.channel = channel
        self.outbound = outbound
        self.inbound = inbound
    }

    /// Sends `text`; false when the connection no longer takes it (the server closed it).
    @discardableResult
    public func send(_ text: String) async -> Bool {
        do {
            try await outbound.write(ByteBuffer(string: text))
            return true
        } catch {
            return false
        }
    }

    /// Reads until `enough` says what has arrived is enough, the server closes, or `timeout`
    /// passes (then the connection is closed from this side, and `closedByPeer` stays false).
    public mutating func read(
        timeout: Duration = .seconds(30), until enough: ([UInt8]) -> Bool = { _ in false }
    ) async throws {
        let gaveUp = Mutex(false)
        let channel = self.channel.channel
        // A timer on the channel's own loop: it ends the read below by closing the connection.
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            gaveUp.withLock { $0 = true }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        while !enough(received) {
            let chunk: ByteBuffer?
            do {
                chunk = try await inbound.next()
            } catch {
                chunk = nil
            }
            guard let chunk else {
                closedByPeer = !gaveUp.withLock { $0 }
                return
            }
            received += chunk.readableBytesView
        }
    }

    /// Reads one whole response (head and a `Content-Length` body), or until the server closes.
    public mutating func readResponse(timeout: Duration = .seconds(30)) async throws -> RawResponse? {
        try await read(timeout: timeout) { RawResponse(parsing: $0) != nil }
        guard let response = RawResponse(parsing: received) else { return nil }
        received.removeFirst(response.length)
        return response
    }
}

/// A response read off a ``RawConnection``.
public struct RawResponse: Sendable {
    public let status: Int
    /// Header names lower-cased.
    public let headers: [String: String]
    public let body: String
    /// Bytes it took on the wire.
    let length: Int

    /// The first whole response in `bytes`, or `nil` while it is incomplete.
    init?(parsing bytes: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard
            let end = (0...max(0, bytes.count - separator.count)).first(where: {
                bytes[$0..<min($0 + 4, bytes.count)].elementsEqual(separator)
            }),
            bytes.count >= end + 4
        else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            return nil
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyLength = Int(headers["content-length"] ?? "0") ?? 0
        guard bytes.count >= end + 4 + bodyLength else { return nil }
        self.status = status
        self.headers = headers
        self.body = String(decoding: bytes[(end + 4)..<(end + 4 + bodyLength)], as: UTF8.self)
        self.length = end + 4 + bodyLength
    }
}
