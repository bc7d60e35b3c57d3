import Foundation
import Logging
import PostgresNIO
import PostgresStore

/// The PostgreSQL server the tests may use, named by `CRYPTOMETRICS_TEST_POSTGRES_URL`
/// (`scripts/test-postgres` and CI start one and set it). Without it the PostgreSQL tests are
/// skipped, except in CI (`CI=true`), where its absence is a failure.
public enum TestPostgres {
    public static let environmentVariable = "CRYPTOMETRICS_TEST_POSTGRES_URL"

    /// The server's URL, when one is given.
    public static var url: String? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isAvailable: Bool { url != nil }

    /// The test server, when one is given.
    public static var server: Server? { url.map(Server.init) }

    public struct Server: Sendable, CustomStringConvertible {
        public let url: String
        /// The URL without its password, for the test's name.
        public var description: String { (try? PostgresLocation(url: url).description) ?? "the test server" }
        public var location: PostgresLocation { get throws { try PostgresLocation(url: url) } }
    }

    /// True in CI, where every test must run.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Why the PostgreSQL tests did not run, shown once per skipped suite.
    public static let skipReason = "\(environmentVariable) is not set: PostgreSQL tests skipped (scripts/test-postgres runs them)"

    /// Runs `body` with the URL of a new, empty schema of its own on the test server, dropped
    /// afterwards: tests running side by side never see each other's tables.
    public static func withSchema<Result>(
        on server: Server? = server, _ body: (PostgresLocation) async throws -> Result
    ) async throws -> Result {
        guard let server else { throw Unavailable() }
        var location = try server.location
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let logger = Logger(label: "test-postgres")
        let connection = try await location.connect(logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        location.options = "-c search_path=\(schema)"
        do {
            let result = try await body(location)
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
            try? await connection.close()
            return result
        } catch {
            _ = try? await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` with one connection to `location`, closed afterwards (PostgresNIO requires a
    /// connection be closed before it is released).
    public static func withConnection<Result>(
        to location: PostgresLocation, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = Logger(label: "test-postgres")
        let connection = try await location.connect(logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The URL of `location`, password included, for a child process's `--database`.
    public static func url(of location: PostgresLocation) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = location.username
        components.password = location.password
        components.host = location.host
        components.port = location.port
        components.path = "/" + location.database
        components.queryItems =
            [URLQueryItem(name: "sslmode", value: location.tlsMode.rawValue)]
            + (location.options.map { [URLQueryItem(name: "options", value: $0)] } ?? [])
        return components.string!
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "\(TestPostgres.environmentVariable) is not set" }
    }
}
