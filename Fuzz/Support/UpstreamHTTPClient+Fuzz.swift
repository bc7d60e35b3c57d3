// Stand-in for Sources/QuoteSources/UpstreamHTTPClient.swift in the fuzz build of QuoteSources.
//
// The real client imports AsyncHTTPClient, NIO and swift-metrics; the answer readers only need its
// type (adapters hold one), `concurrentRequests`, and the static `requireSuccess`/`statusError`,
// which the readers call. Those two are not copied here: scripts/fuzz extracts them from the real
// file at build time (into .build-fuzz/gen/), so the fuzzed readers run the product's own checks.
// Nothing here sends a request: `get` fails, and the harnesses call the readers directly.
import MetricsCore

public struct UpstreamHTTPClient: Sendable {
    public static let maximumBodyBytes = 16 << 20

    public let upstream: String
    public let timeout: Duration
    public let retry: RetryPolicy
    public let rateLimit: RateLimit?

    /// The same parameters as the real initializer but the `HTTPClient`, so that the settings
    /// code (`Settings.makeUpstreams`) compiles unchanged.
    public init(
        upstream: String = "upstream", timeout: Duration = .seconds(10), retry: RetryPolicy = RetryPolicy(), rateLimit: RateLimit? = nil
    ) {
        self.upstream = upstream
        self.timeout = timeout
        self.retry = retry
        self.rateLimit = rateLimit
    }

    public var concurrentRequests: Int {
        min(max(rateLimit?.requests ?? 8, 2), 32)
    }

    /// What the real client answers a body as: anything with `readableBytesView`.
    struct Body {
        let readableBytesView: [UInt8]
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws(UpstreamError) -> (status: Int, body: Body) {
        throw .unreachable("the fuzz build sends no requests")
    }
}
