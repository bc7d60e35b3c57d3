import Foundation

/// A PostgreSQL database named by a URL as libpq spells it:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE` (or `postgresql://`).
///
/// Parsed once, at start, so that a mistyped URL stops the process with the part that is wrong
/// rather than failing at the first query. The password is kept for connecting only: every
/// description of a location leaves it out, so it never reaches a log.
public struct PostgresLocation: Hashable, Sendable, CustomStringConvertible {
    /// How the connection uses TLS: libpq's `sslmode` values.
    public enum TLSMode: String, Hashable, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS, without checking the server's certificate.
        case require
        /// TLS with a certificate signed by a trusted authority, for any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate for this host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    /// libpq's `options`: command-line settings for the server session (`-c search_path=test`).
    public var options: String?

    /// True when `text` is meant as a PostgreSQL URL rather than a SQLite file's path.
    public static func isURL(_ text: String) -> Bool {
        let lowered = text.prefix(13).lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Parses a URL; the error says which part is wrong and how to write it.
    public init(url text: String) throws(PostgresLocationError) {
        guard Self.isURL(text) else {
            throw PostgresLocationError("it must start with postgres:// or postgresql://")
        }
        guard let components = URLComponents(string: text) else {
            throw PostgresLocationError(
                "it is not a valid URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE, with special characters percent-encoded")
        }
        // An IPv6 address comes in brackets, which are not part of it: `[]` names no host either.
        guard let written = components.host,
            case let host = written.hasPrefix("[") && written.hasSuffix("]") ? String(written.dropFirst().dropLast()) : written,
            !host.isEmpty
        else {
            throw PostgresLocationError("it names no host; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresLocationError("it names no user; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw PostgresLocationError("it names no database; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard !database.contains("/") else {
            throw PostgresLocationError("the path after the host must be one database name, not \"\(database)\"")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw PostgresLocationError("port \(port) is out of range 1-65535")
        }
        self.host = host
        self.port = components.port ?? 5432
        // URLComponents hands these over percent-decoded already.
        self.username = user
        self.password = components.password
        self.database = database
        self.tlsMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw PostgresLocationError("sslmode \"\(item.value ?? "")\" is not one of \(modes)")
                }
                tlsMode = mode
            case "options":
                options = item.value
            case "application_name", "connect_timeout":
                continue
            default:
                throw PostgresLocationError(
                    "parameter \"\(item.name)\" is not supported; this URL takes sslmode and options")
            }
        }
    }

    /// The URL without its password, for logs and error messages.
    public var description: String {
        "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }
}

/// Why a `postgres://` URL cannot be used.
public struct PostgresLocationError: Error, CustomStringConvertible {
    public let reason: String

    package init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
