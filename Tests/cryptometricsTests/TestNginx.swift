import AsyncHTTPClient
import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's nginx, run as a test's load balancer on a free port of 127.0.0.1 with a config of its
/// own in the test's directory: round-robin over `backends`, as docs/DEPLOY.md sets it up.
struct TestNginx {
    let base: String
    private let process: Process

    /// `nil` when nginx is not installed.
    init?(proxyingTo backends: [String], in directory: URL) async throws {
        let candidates = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        guard let binary = candidates.first(where: FileManager.default.isExecutableFile) else { return nil }
        let port = try Self.freePort()
        let prefix = directory.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let servers = backends.map { "server \($0.replacingOccurrences(of: "http://", with: ""));" }.joined(separator: " ")
        let config = """
            daemon off;
            worker_processes 1;
            pid \(prefix.path)/nginx.pid;
            error_log \(prefix.path)/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(prefix.path)/body;
                proxy_temp_path \(prefix.path)/proxy;
                fastcgi_temp_path \(prefix.path)/fastcgi;
                uwsgi_temp_path \(prefix.path)/uwsgi;
                scgi_temp_path \(prefix.path)/scgi;
                upstream cryptometrics { \(servers) keepalive 8; }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://cryptometrics;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }
            """
        let configFile = prefix.appendingPathComponent("nginx.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-p", prefix.path, "-c", configFile.path, "-e", "\(prefix.path)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        base = "http://127.0.0.1:\(port)"
        let url = "\(base)/healthz"
        let answering = try await eventually(within: .seconds(60)) { () -> Bool? in
            let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
            return response?.status == .ok ? true : nil
        }
        guard answering == true else {
            process.terminate()
            let log = (try? String(contentsOf: prefix.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
            throw NginxDidNotStart(log: log)
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    struct NginxDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "nginx did not answer within 20 s: \(log)" }
    }

    /// A port nothing listens on now, for a server that cannot report the one it picked.
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socket, socketAddress, length) == 0 && getsockname(socket, socketAddress, &length) == 0
            }
        }
        guard bound else { throw NginxDidNotStart(log: "no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
