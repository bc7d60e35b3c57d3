import Foundation

/// One recorded upstream answer from `Fixtures/` (see its README for the format).
struct Fixture {
    let status: Int
    let body: [UInt8]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).json")
        let wrapper = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        status = wrapper["status"] as! Int
        if let text = wrapper["body_text"] as? String {
            body = Array(text.utf8)
        } else {
            body = Array(try JSONSerialization.data(withJSONObject: wrapper["body"]!, options: [.fragmentsAllowed]))
        }
    }
}
