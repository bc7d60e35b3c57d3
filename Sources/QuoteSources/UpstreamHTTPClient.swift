import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// GET requests to an upstream with a hard deadline on the whole exchange, body included, so that a
/// server dripping its answer byte by byte cannot hold up a poll cycle.
public struct UpstreamHTTPClient: Sendable {
    /// Bodies larger than this are refused: no quote endpoint sends that much.
    public static let maximumBodyBytes = 16 << 20

    let client: HTTPClient
    /// Deadline for one request, from sending to the last body byte.
    public let timeout: Duration

    public init(client: HTTPClient = .shared, timeout: Duration = .seconds(10)) {
        self.client = client
        self.timeout = timeout
    }

    /// The response of a GET. Transport failures, timeouts and cancellation come back as
    /// ``UpstreamError``; an HTTP error status does not throw, because some exchanges explain
    /// themselves in the body.
    func get(_ url: String, headers: [(String, String)] = []) async throws(UpstreamError) -> (status: Int, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cryptometrics")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let client = self.client
        let timeout = self.timeout
        let prepared = request
        do {
            return try await withThrowingTaskGroup(of: (Int, ByteBuffer)?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: TimeAmount(timeout))
                    let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
                    return (Int(response.status.code), body)
                }
                group.addTask {
                    // A little after the client's own deadline, so that its more precise error
                    // (connection refused, say) wins when there is one.
                    try await Task.sleep(for: timeout + .milliseconds(100))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw UpstreamError.timedOut(seconds: timeout.seconds)
                }
                return result
            }
        } catch let error as UpstreamError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timedOut(seconds: timeout.seconds)
        } catch let error as NIOTooManyBytesError {
            throw .malformedBody("the body is larger than \(error.maxBytes.map { "\($0)" } ?? "the limit of") bytes")
        } catch {
            if Task.isCancelled { throw .cancelled }
            throw .unreachable(String(describing: error))
        }
    }

    /// Fails with ``UpstreamError/httpStatus(_:body:)`` unless the status is 2xx.
    static func requireSuccess(_ status: Int, _ body: some Collection<UInt8>) throws(UpstreamError) {
        guard (200..<300).contains(status) else {
            let text = String(decoding: body.prefix(120), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            throw .httpStatus(status, body: text)
        }
    }
}
