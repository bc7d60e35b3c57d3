import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Sends an exchange's answer the way a transport fault says: late, never, cut, dripped, reset,
/// or replaced by what a proxy or CDN in front of the exchange would send.
enum Transport {
    /// How long an unanswered request waits at most, should neither the client nor the server end it.
    static let noAnswerLimit: Duration = .seconds(600)

    /// Sends `answer` as `fault` says. The faults that keep a client waiting stop waiting when
    /// the client hangs up or `stopping` says the fake is stopping, so that a handler never
    /// outlives either and the fake's graceful shutdown ends promptly.
    static func send(
        _ answer: Answer, fault: FakeUpstream.Fault?, exchange: FakeUpstream.Exchange, channel: any Channel,
        stopping: @escaping @Sendable () -> Bool
    ) async throws -> Response {
        switch fault {
        case nil, .wrongPair, .staleQuote, .badValue:
            return response(answer.status, answer.body, headers: answer.headers)
        case .latency(let delay):
            guard try await hold(for: delay, channel: channel, stopping: stopping) else { throw await hangUp(channel) }
            return response(answer.status, answer.body, headers: answer.headers)
        case .noAnswer:
            _ = try await hold(for: noAnswerLimit, channel: channel, stopping: stopping)
            throw await hangUp(channel)
        case .serverError(let status):
            return response(status, "\(status) Service Unavailable (fake upstream)\n", contentType: "text/plain")
        case .rateLimited(let seconds):
            return response(429, exchange.rateLimitBody, headers: seconds.map { [("Retry-After", String($0))] } ?? [])
        case .malformedJSON:
            return response(200, #"{"error": [], "result": {"price": 64000.1,, "volume": NaN}"#)
        case .truncatedJSON:
            return response(200, String(answer.body.prefix(max(1, answer.body.count / 2))))
        case .htmlErrorPage:
            return response(200, htmlErrorPage, contentType: "text/html; charset=UTF-8")
        case .wrongContentType:
            return response(answer.status, answer.body, contentType: "text/plain; charset=utf-8")
        case .status(let code, let body):
            return response(code, body)
        case .connectionReset:
            return reset(answer, channel: channel)
        case .drip(let interval):
            return drip(answer, every: interval, channel: channel, stopping: stopping)
        }
    }

    /// Closes the connection without an answer, as a server that goes away does (a handler's
    /// error would be answered with a 500), and returns the error that ends the handler.
    private static func hangUp(_ channel: any Channel) async -> CancellationError {
        try? await channel.close().get()
        return CancellationError()
    }

    /// Waits `duration`; returns false as soon as the client hangs up (the channel goes
    /// inactive) or the fake is stopping, true when the whole time has passed.
    private static func hold(for duration: Duration, channel: any Channel, stopping: @Sendable () -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + duration
        while clock.now < end {
            guard channel.isActive, !stopping() else { return false }
            try await Task.sleep(for: min(.milliseconds(20), end - clock.now))
        }
        return true
    }

    private static func response(
        _ status: Int, _ body: String, contentType: String = "application/json", headers: [(String, String)] = []
    ) -> Response {
        var fields: HTTPFields = [.contentType: contentType]
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The head and half the body, then a TCP reset (SO_LINGER 0, close): the client sees the
    /// connection fail mid-answer, a transport error rather than an HTTP one.
    private static func reset(_ answer: Answer, channel: any Channel) -> Response {
        let bytes = Array(answer.body.utf8)
        let body = ResponseBody(contentLength: bytes.count) { writer in
            try await writer.write(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
            if let socket = channel as? any SocketOptionProvider {
                try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            }
            try? await channel.close().get()
            throw ChannelError.ioOnClosedChannel
        }
        return Response(status: .init(code: answer.status), headers: [.contentType: "application/json"], body: body)
    }

    /// The answer one byte per `interval`, with its full length announced up front.
    private static func drip(
        _ answer: Answer, every interval: Duration, channel: any Channel, stopping: @escaping @Sendable () -> Bool
    ) -> Response {
        let bytes = Array(answer.body.utf8)
        let body = ResponseBody(contentLength: bytes.count) { writer in
            for byte in bytes {
                try await writer.write(ByteBuffer(bytes: [byte]))
                guard try await hold(for: interval, channel: channel, stopping: stopping) else { throw CancellationError() }
            }
            try await writer.finish(nil)
        }
        return Response(status: .init(code: answer.status), headers: [.contentType: "application/json"], body: body)
    }

    static let htmlErrorPage = """
        <!DOCTYPE html>
        <html><head><title>502 Bad Gateway</title></head>
        <body><h1>502 Bad Gateway</h1><p>The web server reported a bad gateway error.</p><hr><center>cloudflare</center></body></html>
        """
}

extension FakeUpstream.Exchange {
    /// The body this exchange sends with a 429, after its documentation where it shows one.
    var rateLimitBody: String {
        switch self {
        case .kraken: #"{"error":["EAPI:Rate limit exceeded"]}"#
        case .zonda: #"{"status":"Fail","errors":["TOO_MANY_REQUESTS"]}"#
        case .coinbase: #"{"message":"Public rate limit exceeded"}"#
        case .binance: #"{"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) request weight is 6000 per MINUTE."}"#
        case .bitstamp: #"{"status":"error","reason":"Rate limit exceeded","code":"API0010"}"#
        case .gemini: #"{"result":"error","reason":"RateLimit","message":"Requests were made too frequently."}"#
        case .cryptowatch: #"{"error":"Out of allowance","allowance":{"cost":0,"remaining":0}}"#
        }
    }
}
