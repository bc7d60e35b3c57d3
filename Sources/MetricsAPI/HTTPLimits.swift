import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// How much and how slowly one client may send: the bounds that keep a server on the open internet
/// answering when a client sends a huge head, or a head a byte at a time (slowloris), or holds
/// connections it does not use.
///
/// Three layers apply them. The HTTP decoder stops reading a head at ``maximumHeadBytes``
/// (``OversizedHeadHandler`` answers 431 and closes, since nothing after it can be read as HTTP).
/// Under that, ``HeadLimitMiddleware`` answers a long target with 414 and long headers with 431,
/// as JSON errors. Hummingbird's connection handler closes a connection that has not brought a
/// whole request head within ``idleTimeout``, whether it is idle between requests or sending its
/// head too slowly; a response being written (a long `GET /stream`) is never idle.
public struct HTTPLimits: Sendable {
    /// The longest request target (path and query) answered; a longer one gets 414. URLs past
    /// 8 KiB are refused by most proxies and browsers anyway.
    public var maximumTargetBytes: Int
    /// The most header bytes (names, values and their separators) answered; more gets 431.
    public var maximumHeaderBytes: Int
    /// How long a connection may go without a whole request head: idle after a response, or
    /// still sending a head. It is then closed.
    public var idleTimeout: Duration

    /// Where the decoder stops reading a head at all: 431, and the connection is closed.
    public static let maximumHeadBytes = 64 << 10

    public init(maximumTargetBytes: Int = 8 << 10, maximumHeaderBytes: Int = 16 << 10, idleTimeout: Duration = .seconds(30)) {
        self.maximumTargetBytes = maximumTargetBytes
        self.maximumHeaderBytes = maximumHeaderBytes
        self.idleTimeout = idleTimeout
    }
}

extension HTTPLimits {
    /// HTTP/1.1 with these limits, for `Application(router:server:)`.
    public var server: HTTPServerBuilder {
        .http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [OversizedHeadHandler()],
                idleTimeout: TimeAmount(idleTimeout),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: Self.maximumHeadBytes, maxHeaderListSize: Self.maximumHeadBytes, maxHeaderFieldCount: 1_000)
            ))
    }
}

/// Answers 414 for a request target and 431 for headers beyond ``HTTPLimits``, before any route
/// reads them.
struct HeadLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limits: HTTPLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let target = request.uri.description.utf8.count
        if target > limits.maximumTargetBytes {
            throw APIError(
                .uriTooLong,
                "The request target is \(target) bytes; at most \(limits.maximumTargetBytes) are answered. Send a shorter path and query.")
        }
        // Each field as it crossed the wire: name, ": ", value, CRLF.
        let headers = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        if headers > limits.maximumHeaderBytes {
            throw APIError(
                .requestHeaderFieldsTooLarge,
                "The request's headers are \(headers) bytes; at most \(limits.maximumHeaderBytes) are answered. Send fewer or shorter headers."
            )
        }
        return try await next(request, context)
    }
}

/// Answers a request head the decoder gave up on (over ``HTTPLimits/maximumHeadBytes``) with a
/// JSON 431, then closes the connection: the bytes after it cannot be read as HTTP. Without it,
/// the client would get an empty 400 that does not say what was wrong.
///
/// A client may send requests before the answers to earlier ones (pipelining): the 431 then waits
/// until every request read before it has its whole response, so that none of them gets it.
final class OversizedHeadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Request heads read, and responses ended: while they differ, a response is owed.
    private var requestsRead = 0
    private var responsesEnded = 0
    /// A head too large arrived while a response was owed: answered once it is written.
    private var oversizedWaiting = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { requestsRead += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        responsesEnded += 1
        context.write(data, promise: promise)
        if oversizedWaiting, responsesEnded == requestsRead {
            oversizedWaiting = false
            answerOversized(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            return context.fireErrorCaught(error)
        }
        if responsesEnded < requestsRead {
            oversizedWaiting = true
        } else {
            answerOversized(context: context)
        }
    }

    private func answerOversized(context: ChannelHandlerContext) {
        var json = JSONWriter()
        OneFieldBody.error(
            "The request head is larger than \(HTTPLimits.maximumHeadBytes >> 10) KiB; send a shorter path, query and headers."
        ).write(to: &json)
        let head = HTTPResponse(
            status: .requestHeaderFieldsTooLarge,
            headerFields: [
                .contentType: JSONBody.contentType, .contentLength: "\(json.buffer.readableBytes)", .connection: "close",
                .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(json.buffer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension OversizedHeadHandler: Sendable {}
