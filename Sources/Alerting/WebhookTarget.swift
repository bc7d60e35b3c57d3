import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which URLs webhooks may be sent to: the guard against server-side request forgery. A user who
/// may name any URL could otherwise make the service call its own admin ports, the cloud's
/// metadata service (169.254.169.254) or hosts inside the private network.
///
/// A URL must be `https` or `http` with a host and no user information, and every address its host
/// resolves to must be public: not loopback, private, link-local, shared (carrier-grade NAT),
/// multicast, reserved or unspecified, in IPv4 or IPv6 (IPv4-mapped addresses are judged as the
/// IPv4 address they carry). It is checked when a subscription is made and again before each
/// delivery, since DNS may change in between. `allowPrivateTargets` lifts the address check, for
/// tests and for receivers inside one's own network.
public struct WebhookTargetPolicy: Sendable {
    public let allowPrivateTargets: Bool
    let resolve: @Sendable (String) async throws -> [IPAddress]

    public init(allowPrivateTargets: Bool) {
        self.init(allowPrivateTargets: allowPrivateTargets, resolve: Self.systemResolve)
    }

    init(allowPrivateTargets: Bool, resolve: @escaping @Sendable (String) async throws -> [IPAddress]) {
        self.allowPrivateTargets = allowPrivateTargets
        self.resolve = resolve
    }

    /// The URL, if webhooks may be sent to it.
    public func check(_ text: String) async throws(WebhookTargetError) -> URL {
        try await approve(text).url
    }

    /// A URL webhooks may be sent to, with the address to connect to when its host is a name
    /// that had to be resolved to be judged: connecting there, rather than resolving once more,
    /// leaves DNS no moment to answer otherwise (rebinding).
    public struct Approval: Sendable {
        public let url: URL
        public let host: String
        public let pinnedAddress: IPAddress?
    }

    /// The URL and where to connect, if webhooks may be sent to it.
    public func approve(_ text: String) async throws(WebhookTargetError) -> Approval {
        guard text.utf8.count <= 2_048, let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw .invalid("is not a URL")
        }
        guard scheme == "https" || scheme == "http" else { throw .invalid("must be an https:// (or http://) URL, not \(scheme):") }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else { throw .invalid("has no host") }
        guard url.user == nil, url.password == nil else { throw .invalid("must not hold a user name or password") }
        if allowPrivateTargets { return Approval(url: url, host: host, pinnedAddress: nil) }
        if let literal = IPAddress(host) {
            guard literal.isPublic else { throw .privateAddress(host: host, address: literal.description) }
            return Approval(url: url, host: host, pinnedAddress: nil)
        }
        let addresses: [IPAddress]
        do {
            addresses = try await resolve(host)
        } catch {
            throw .unresolvable(host)
        }
        guard let first = addresses.first else { throw .unresolvable(host) }
        if let refused = addresses.first(where: { !$0.isPublic }) {
            throw .privateAddress(host: host, address: refused.description)
        }
        return Approval(url: url, host: host, pinnedAddress: first)
    }

    /// How long a name may take to resolve: a resolver that hangs must not hold a delivery.
    static let resolutionTimeout = TimeAmount.seconds(5)

    /// Threads for getaddrinfo alone: a name whose servers never answer holds a thread until the
    /// system resolver gives up, and must not take the threads the rest of the process's blocking
    /// work (NIO's shared pool: file I/O) needs. Sixteen hung names at once still stall the
    /// others' lookups, each of which then fails after ``resolutionTimeout`` and is retried.
    private static let resolvers: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    /// getaddrinfo on its own threads: it blocks, and must not hold up a task's thread. Given
    /// up after ``resolutionTimeout`` (the thread finishes on its own; nothing waits for it).
    private static let systemResolve: @Sendable (String) async throws -> [IPAddress] = { host in
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let answer = loop.makePromise(of: [IPAddress].self)
        let settled = Mutex(false)
        @Sendable func settle(_ result: Result<[IPAddress], any Error>) {
            guard
                settled.withLock({ done in
                    defer { done = true }
                    return !done
                })
            else { return }
            answer.completeWith(result)
        }
        let timeout = loop.scheduleTask(in: resolutionTimeout) { settle(.failure(WebhookTargetError.unresolvable(host))) }
        resolvers.runIfActive(eventLoop: loop) { () throws -> [IPAddress] in
            // Given up on while it queued: no thread spent on it.
            if settled.withLock({ $0 }) { throw WebhookTargetError.unresolvable(host) }
            return try resolveNow(host)
        }.whenComplete { result in
            timeout.cancel()
            settle(result)
        }
        return try await withTaskCancellationHandler {
            try await answer.futureResult.get()
        } onCancel: {
            settle(.failure(CancellationError()))
        }
    }

    private static func resolveNow(_ host: String) throws -> [IPAddress] {
        do {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else { throw WebhookTargetError.unresolvable(host) }
            defer { freeaddrinfo(first) }
            var addresses: [IPAddress] = []
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let current = entry {
                if let address = current.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET:
                        let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                        addresses.append(.v4(withUnsafeBytes(of: ipv4) { Array($0) }))
                    case AF_INET6:
                        let ipv6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                        addresses.append(.v6(withUnsafeBytes(of: ipv6) { Array($0) }))
                    default: break
                    }
                }
                entry = current.pointee.ai_next
            }
            return addresses
        }
    }
}

/// Why a webhook URL was refused, as the API says it under `webhook.url`.
public enum WebhookTargetError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalid(String)
    case unresolvable(String)
    case privateAddress(host: String, address: String)

    public var description: String {
        switch self {
        case .invalid(let reason): reason
        // One message for both, naming no address: answers that told "does not exist" from
        // "is private", or gave the address, would let any key holder map the internal network.
        case .unresolvable, .privateAddress:
            "is not an allowed webhook target: its host must resolve, and only to public addresses (the service's operator can allow private ones with alerts.allow_private_targets)"
        }
    }
}

/// An IPv4 or IPv6 address, as bytes in network order.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses a literal, with or without the brackets a URL puts around IPv6.
    public init?(_ text: String) {
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: v4) { Array($0) })
        } else if inet_pton(AF_INET6, bare, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// Whether the address is reachable on the public internet: not in any special-purpose block
    /// (RFC 6890 and its successors) that a webhook has no business reaching.
    public var isPublic: Bool {
        switch self {
        case .v4(let b):
            return
                !(b[0] == 0  // "this network", 0.0.0.0/8
                || b[0] == 10  // private
                || (b[0] == 100 && (64...127).contains(b[1]))  // shared address space (carrier-grade NAT)
                || b[0] == 127  // loopback
                || (b[0] == 169 && b[1] == 254)  // link-local, cloud metadata services
                || (b[0] == 172 && (16...31).contains(b[1]))  // private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)  // IETF protocol assignments
                || (b[0] == 192 && b[1] == 0 && b[2] == 2)  // documentation
                || (b[0] == 192 && b[1] == 88 && b[2] == 99)  // 6to4 relay anycast
                || (b[0] == 192 && b[1] == 168)  // private
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))  // benchmarking
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)  // documentation
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)  // documentation
                || b[0] >= 224)  // multicast, reserved, broadcast
        case .v6(let b):
            // Addresses that carry an IPv4 address are judged by it: IPv4-mapped (::ffff:0:0/96),
            // IPv4-compatible (::/96, which holds :: and ::1 too), NAT64 (64:ff9b::/96), 6to4.
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return IPAddress.v4(Array(b[12..<16])).isPublic }
            if b[0..<12].allSatisfy({ $0 == 0 }) { return IPAddress.v4(Array(b[12..<16])).isPublic }
            if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return IPAddress.v4(Array(b[12..<16])).isPublic }
            if b[0] == 0x20 && b[1] == 0x02 { return IPAddress.v4(Array(b[2..<6])).isPublic }
            // Only global unicast (2000::/3) is public, less its special blocks.
            guard b[0] & 0xE0 == 0x20 else { return false }
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // documentation
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00 { return false }  // Teredo
            return true
        }
    }

    public var description: String {
        switch self {
        case .v4(let bytes): return bytes.map(String.init).joined(separator: ".")
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            return inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)).map { String(cString: $0) } ?? "?"
        }
    }
}
