// Stand-in for Sources/MetricsAPI/HTTPLimits.swift in the config harness's `MetricsAPI` module: the
// real one builds a Hummingbird server configuration. Settings.swift only makes one from its
// idle timeout, so this keeps the stored limits and nothing else.
public struct HTTPLimits: Sendable {
    public var maximumTargetBytes: Int
    public var maximumHeaderBytes: Int
    public var idleTimeout: Duration

    public static let maximumHeadBytes = 64 << 10

    public init(maximumTargetBytes: Int = 8 << 10, maximumHeaderBytes: Int = 16 << 10, idleTimeout: Duration = .seconds(30)) {
        self.maximumTargetBytes = maximumTargetBytes
        self.maximumHeaderBytes = maximumHeaderBytes
        self.idleTimeout = idleTimeout
    }
}
