import Foundation
import Logging
import MetricsStore
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// How to connect to a ``PostgresLocation``, in the two shapes PostgresNIO asks for: a single
/// connection (the check and migrations at start) and the pool the store then uses.
struct PostgresConnections {
    let single: PostgresConnection.Configuration
    let pool: PostgresClient.Configuration

    init(_ location: PostgresLocation) throws {
        var single: PostgresConnection.Configuration
        var pool: PostgresClient.Configuration
        switch location.tlsMode {
        case .disable:
            single = .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable)
            pool = .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable)
        case .prefer, .require, .verifyCA, .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            switch location.tlsMode {
            case .prefer, .require: tls.certificateVerification = .none
            case .verifyCA: tls.certificateVerification = .noHostnameVerification
            default: tls.certificateVerification = .fullVerification
            }
            let context = try NIOSSLContext(configuration: tls)
            let enforced = location.tlsMode != .prefer
            single = .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: enforced ? .require(context) : .prefer(context))
            pool = .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: enforced ? .require(tls) : .prefer(tls))
        }
        single.options.connectTimeout = .seconds(10)
        if let options = location.options {
            single.options.additionalStartupParameters = [("options", options)]
            pool.options.additionalStartupParameters = [("options", options)]
        }
        self.single = single
        self.pool = pool
    }
}

/// What went wrong talking to PostgreSQL, in words an operator can act on. PostgresNIO's own
/// descriptions are deliberately vague (they could carry a query's values); this reads the
/// server's message and the network error instead, and never the password.
enum PostgresFailure {
    /// SQLSTATE of a row that breaks a unique key.
    static let uniqueViolation = "23505"

    static func reason(for error: any Error, at location: PostgresLocation) -> String {
        let server = "\(location.host):\(location.port)"
        guard let error = error as? PSQLError else {
            return "\(error)"
        }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "the server refused"
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "\(server) answered: \(message)\(state)"
        case .connectionError:
            let underlying = error.underlying.map(networkReason) ?? "the connection failed"
            return "cannot reach \(server): \(underlying); check that PostgreSQL runs there and accepts TCP connections"
        case .sslUnsupported:
            return "\(server) does not offer TLS, which sslmode=\(location.tlsMode.rawValue) requires; use sslmode=disable or prefer"
        case .authMechanismRequiresPassword:
            return "\(server) asks for a password and the URL gives none; write postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        case .unsupportedAuthMechanism:
            return "\(server) asks for an authentication method PostgresNIO does not support; use scram-sha-256, md5 or trust"
        case .serverClosedConnection, .uncleanShutdown:
            return "\(server) closed the connection"
        default:
            return "\(server): \(error.code)"
        }
    }

    private static func networkReason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first {
                return networkReason(failure.error)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "the host name does not resolve"
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "no route to the host"
            default: return error.description
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "timed out"
        }
        return "\(error)"
    }
}

extension PostgresLocation {
    /// One connection outside the store's pool, for setup work such as a test's own schema.
    /// Fails with a ``StoreError`` that names the host and the reason.
    public func connect(logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: PostgresConnections(self).single, id: 0, logger: logger)
        } catch {
            throw StoreError.cannotOpen(path: description, reason: PostgresFailure.reason(for: error, at: self))
        }
    }
}
