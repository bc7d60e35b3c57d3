import Hummingbird

/// JSON responses: the body written by ``JSONWriter``, with the content type the original sent.
enum JSONBody {
    static let contentType = "application/json; charset=utf-8"

    static func response(_ body: some JSONBodyWritable, status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter()
        body.write(to: &json)
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: json.buffer))
    }

    static func response(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
