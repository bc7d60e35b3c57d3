import PostgresStore
import Testing

/// `--database postgres://…` as libpq spells it, and a clear reason for every way to get it wrong.
@Suite struct PostgresLocationTests {
    @Test func readsEveryPartOfAURL() throws {
        let location = try PostgresLocation(url: "postgres://metrics:s3cret@db.example.com:6543/cryptometrics?sslmode=require")
        #expect(location.host == "db.example.com")
        #expect(location.port == 6543)
        #expect(location.username == "metrics")
        #expect(location.password == "s3cret")
        #expect(location.database == "cryptometrics")
        #expect(location.tlsMode == .require)
    }

    @Test func takesBothSchemesAndDefaultsLikeLibpq() throws {
        let location = try PostgresLocation(url: "postgresql://metrics@127.0.0.1/cryptometrics")
        #expect(location.port == 5432)
        #expect(location.password == nil)
        #expect(location.tlsMode == .prefer)
    }

    @Test func decodesPercentEncodedCredentialsOnce() throws {
        let location = try PostgresLocation(url: "postgres://us%40er:p%40ss%2Fw%3Ard%2541@[::1]:5432/db")
        #expect(location.username == "us@er")
        #expect(location.password == "p@ss/w:rd%41")
        #expect(location.host == "::1")
    }

    @Test(arguments: PostgresLocation.TLSMode.allCases)
    func acceptsEveryLibpqSSLMode(_ mode: PostgresLocation.TLSMode) throws {
        #expect(try PostgresLocation(url: "postgres://u@h/d?sslmode=\(mode.rawValue)").tlsMode == mode)
    }

    @Test func neverDescribesThePassword() throws {
        let location = try PostgresLocation(url: "postgres://metrics:s3cret@db:5432/cryptometrics")
        #expect(location.description == "postgres://metrics@db:5432/cryptometrics")
        #expect(!"\(location)".contains("s3cret"))
    }

    @Test(arguments: [
        ("postgres://db:5432/cryptometrics", "names no user"),
        ("postgres://u:p@:5432/cryptometrics", "names no host"),
        // Found by fuzzing: the brackets of an IPv6 address around nothing.
        ("postgres://u:p@[]:5432/cryptometrics", "names no host"),
        ("postgres://u:p@db:5432", "names no database"),
        ("postgres://u:p@db:5432/", "names no database"),
        ("postgres://u:p@db:70000/d", "port 70000 is out of range 1-65535"),
        ("postgres://u:p@db/d?sslmode=always", "sslmode \"always\" is not one of disable, prefer, require, verify-ca, verify-full"),
        ("postgres://u:p@db/d?pool=3", "parameter \"pool\" is not supported"),
        ("postgres://u:p@db:5432/a/b", "the path after the host must be one database name"),
        ("mysql://u:p@db/d", "it must start with postgres:// or postgresql://"),
    ])
    func refusesWhatItCannotUseSayingWhy(_ url: String, _ reason: String) {
        #expect {
            _ = try PostgresLocation(url: url)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
