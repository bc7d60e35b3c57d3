// Fuzzes RetryAfter.parse, which reads the `Retry-After` header of exchanges that throttle the
// poller and of webhook receivers.
//
// Promises checked (RetryAfter.swift): whatever the text, no crash, and the result is nil or a
// wait of 0 to 86,400 s ("at most a day").
import Foundation
import MetricsCore

/// A fixed "now", so that a run is reproducible.
private let now = Date(timeIntervalSince1970: 1_790_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRetryAfter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    guard let wait = RetryAfter.parse(text, now: now) else { return 0 }
    invariant(wait >= .zero && wait <= .seconds(86_400), "Retry-After \(shown(bytes)) gives \(wait), outside 0...86400 s")
    return 0
}
