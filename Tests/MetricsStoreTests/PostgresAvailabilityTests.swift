import TestSupport
import Testing

/// Without a PostgreSQL test server the conformance suite runs against the other stores only:
/// this test is then skipped, with one line saying why. In CI (`CI=true`) it runs, and fails.
@Suite struct PostgresAvailabilityTests {
    @Test(.enabled(if: TestPostgres.isAvailable || TestPostgres.isCI, Comment(rawValue: TestPostgres.skipReason)))
    func aPostgreSQLServerIsGivenToTheTests() {
        #expect(
            TestPostgres.isAvailable,
            "CI=true, but \(TestPostgres.environmentVariable) is not set: .ci/run must start PostgreSQL for the tests")
    }
}
