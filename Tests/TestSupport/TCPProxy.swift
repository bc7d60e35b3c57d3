import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on 127.0.0.1 that a test can cut, as a network failure or a stopped database
/// server would: ``cut()`` closes every connection through it and closes each new one at once,
/// ``restore()`` lets them through again. The server behind it, shared with other tests, never
/// stops.
public final class TCPProxy: Sendable {
    public let port: Int
    private let state = Mutex(State())

    private struct State {
        var refusing = false
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    private init(port: Int) {
        self.port = port
    }

    /// Relays connections from a free port to `targetPort` for the length of `body`.
    public static func withRunning<Result: Sendable>(to targetPort: Int, _ body: (TCPProxy) async throws -> Result) async throws -> Result {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let proxy = TCPProxy(port: server.channel.localAddress?.port ?? 0)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await client in inbound {
                            connections.addTask { await proxy.relay(client, to: targetPort) }
                        }
                    }
                }
            }
            let outcome: Swift.Result<Result, any Error>
            do {
                outcome = .success(try await body(proxy))
            } catch {
                outcome = .failure(error)
            }
            try? await server.channel.close()
            proxy.cut()
            try await group.waitForAll()
            return try outcome.get()
        }
    }

    /// Closes every connection through the relay, and each new one as soon as it comes.
    public func cut() {
        let open = state.withLock { state in
            state.refusing = true
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Lets new connections through again.
    public func restore() {
        state.withLock { $0.refusing = false }
    }

    /// Registers `channel` as open, unless the relay refuses connections: then false.
    private func admit(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.refusing else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private func relay(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, to targetPort: Int) async {
        guard admit(client.channel),
            let upstream = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(
                    host: "127.0.0.1", port: targetPort,
                    channelInitializer: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    })
        else {
            try? await client.channel.close()
            return
        }
        // Cut while it connected: neither side may stay open.
        guard admit(upstream.channel) else {
            try? await upstream.channel.close()
            try? await client.channel.close()
            state.withLock { $0.open[ObjectIdentifier(client.channel)] = nil }
            return
        }
        try? await client.executeThenClose { clientIn, clientOut in
            try await upstream.executeThenClose { upstreamIn, upstreamOut in
                try await withThrowingTaskGroup(of: Void.self) { directions in
                    directions.addTask { for try await bytes in clientIn { try await upstreamOut.write(bytes) } }
                    directions.addTask { for try await bytes in upstreamIn { try await clientOut.write(bytes) } }
                    // Either side ending ends the relay: closing both ends the other direction's read.
                    _ = try? await directions.next()
                    client.channel.close(promise: nil)
                    upstream.channel.close(promise: nil)
                    directions.cancelAll()
                }
            }
        }
        state.withLock { state in
            state.open[ObjectIdentifier(client.channel)] = nil
            state.open[ObjectIdentifier(upstream.channel)] = nil
        }
    }
}
