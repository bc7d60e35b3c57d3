import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Sends an exchange's answer the way a transport fault says: late, never, cut, dripped, reset,
/// or replaced by what a proxy or CDN in front of the exchange would send.
enum Transport {
    /// How long an unanswered request waits at most, should neither the client nor the server end it.
    static let noAnswerLimit: Duration = .seconds(600)

    static func send(_ answer: Answer, fault: FakeUpstream.Fault?, exchange: FakeUpstream.Exchange, channel: any Channel) async throws
        -> Response
    {
        switch fault {
        case nil, .wrongPair, .staleQuote, .badValue:
            return response(answer.status, answer.body, headers: answer.headers)
        case .latency(let delay):
            try await Task.sleep(for: delay)
            return response(answer.status, answer.body, headers: answer.headers)
        case .noAnswer:
            // Ends when the client hangs up (the channel goes inactive) or the server stops (this
            // task is cancelled): the handler never outlives either.
            let clock = ContinuousClock()
            let end = clock.now + noAnswerLimit
            while channel.isActive, clock.now < end { try await Task.sleep(for: .milliseconds(20)) }
            throw CancellationError()
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
            return drip(answer, every: interval)
        }
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
    private static func drip(_ answer: Answer, every interval: Duration) -> Response {
        let bytes = Array(answer.body.utf8)
        let body = ResponseBody(contentLength: bytes.count) { writer in
            for byte in bytes {
                try await writer.write(ByteBuffer(bytes: [byte]))
                try await Task.sleep(for: interval)
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
