// Fuzzes PostgresLocation(url:) (Sources/PostgresStore/PostgresLocation.swift, compiled into this
// harness), which reads `--database`, `CRYPTOMETRICS_DATABASE` and the config file's `database`
// when they are PostgreSQL URLs.
//
// Promises checked (PostgresLocation.swift): a URL is read or refused with a reason, never a crash;
// one it reads names a host, a user, one database (no `/`) and a port in 1...65535; only
// `sslmode`, `options`, `application_name` and `connect_timeout` are taken.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatabaseURL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Most inputs should get past the scheme check.
    if !PostgresLocation.isURL(text), size > 0, data![0] & 1 == 1 { text = "postgres://" + text }
    let location: PostgresLocation
    do {
        location = try PostgresLocation(url: text)
    } catch {
        invariant(!error.reason.isEmpty, "a refusal without a reason")
        return 0
    }
    invariant(PostgresLocation.isURL(text), "read \(text.debugDescription), which is no postgres:// URL")
    invariant(!location.host.isEmpty, "empty host in \(location) from \(text.debugDescription)")
    invariant(!location.username.isEmpty && !location.database.isEmpty, "empty part in \(location) from \(text.debugDescription)")
    invariant(!location.database.contains("/"), "database \(location.database) from \(text.debugDescription)")
    invariant((1...65_535).contains(location.port), "port \(location.port) from \(text.debugDescription)")
    _ = location.description
    return 0
}
