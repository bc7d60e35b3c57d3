import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's chromium, driven headless through its chromedriver over the W3C WebDriver protocol
/// (JSON over HTTP) on a free port of 127.0.0.1, for the dashboard's tests in a real browser.
final class HeadlessChromium {
    /// Why the browser tests did not run, shown once per skipped test.
    static let skipReason =
        "chromedriver is not installed: browser tests skipped (apt-get install chromium chromium-driver, or set CHROMEDRIVER)"

    /// chromedriver, named by `CHROMEDRIVER` or where Debian installs it.
    static var driver: String? {
        let given = ProcessInfo.processInfo.environment["CHROMEDRIVER"].map { [$0] } ?? []
        return (given + ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]).first(where: FileManager.default.isExecutableFile)
    }

    static var isAvailable: Bool { driver != nil }

    private let process: Process
    private let base: String

    private init(process: Process, base: String) {
        self.process = process
        self.base = base
    }

    /// Runs `body` with a browser session at `width`×`height`, chromedriver stopped afterwards.
    static func withSession<Result>(
        width: Int = 1280, height: Int = 900, in directory: URL, _ body: (BrowserSession) async throws -> Result
    ) async throws -> Result {
        guard let driver else { throw Unavailable() }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        process.arguments = ["--port=\(port)", "--log-path=\(directory.appendingPathComponent("chromedriver.log").path)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL) }
        let base = "http://127.0.0.1:\(port)"
        let ready = try await eventually(within: .seconds(60), every: .milliseconds(100)) {
            (try? await request("GET", base + "/status"))?["value"].flatMap { $0 as? [String: Any] }?["ready"] as? Bool == true
                ? true : nil
        }
        guard ready == true else { throw Unavailable() }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                            "--window-size=\(width),\(height)",
                        ]
                    ],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ]
            ]
        ]
        let created = try await request("POST", base + "/session", capabilities)
        guard let value = created["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            throw WebDriverError(message: "no session: \(created)")
        }
        let session = BrowserSession(url: base + "/session/" + id)
        do {
            let result = try await body(session)
            _ = try? await request("DELETE", session.url)
            return result
        } catch {
            _ = try? await request("DELETE", session.url)
            throw error
        }
    }

    /// One WebDriver command: its JSON answer, or the driver's error as a thrown `WebDriverError`.
    @discardableResult
    static func request(_ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] ?? [:]
        if response.status.code >= 400 {
            throw WebDriverError(message: "\(method) \(url): \(response.status.code) \(json["value"] ?? "")")
        }
        return json
    }

    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw WebDriverError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { HeadlessChromium.skipReason }
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let message: String
    var description: String { "WebDriver: \(message)" }
}

/// One browser window: opens pages, runs scripts in them, reads their console.
struct BrowserSession {
    let url: String

    func open(_ page: String) async throws {
        try await HeadlessChromium.request("POST", url + "/url", ["url": page])
    }

    /// Runs `script` (a function body: `return ...`) in the page and returns its value.
    func evaluate(_ script: String) async throws -> Any? {
        let answer = try await HeadlessChromium.request("POST", url + "/execute/sync", ["script": script, "args": []])
        return answer["value"]
    }

    /// Waits until `condition` (a JavaScript expression) is true in the page, up to `deadline`.
    func waitUntil(_ condition: String, within deadline: Duration = .seconds(30)) async throws -> Bool {
        try await eventually(within: deadline, every: .milliseconds(100)) {
            try await evaluate("return !!(\(condition));") as? Bool == true ? true : nil
        } == true
    }

    /// What the page wrote to its console since the last call, as chromedriver records it
    /// (`level`: SEVERE for errors, which includes failed loads and CSP violations).
    func console() async throws -> [(level: String, message: String)] {
        let answer = try await HeadlessChromium.request("POST", url + "/se/log", ["type": "browser"])
        let entries = answer["value"] as? [[String: Any]] ?? []
        return entries.map { (($0["level"] as? String) ?? "", ($0["message"] as? String) ?? "") }
    }
}
