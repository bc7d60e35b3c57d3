/// A setting the service refuses to start with, naming where it came from, which key, and why.
struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file path, `environment variable NAME` or `command line`.
    let origin: String
    /// The setting's key as written in the config file (`poll_interval_seconds`, `markets[1].pairs[0]`).
    let key: String
    let reason: String

    var description: String { "invalid configuration in \(origin), key \(key): \(reason)" }
}
