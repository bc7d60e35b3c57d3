/// A metric's place among the metrics of its type, ordered by standard deviation ascending.
///
/// Written `k/n` in the API, as the original did: `1/10` is the steadiest of ten.
public struct Rank: Hashable, Sendable, CustomStringConvertible {
    /// 1-based position.
    public let position: Int
    /// How many metrics were ranked.
    public let count: Int

    public init(position: Int, count: Int) {
        self.position = position
        self.count = count
    }

    public var description: String { "\(position)/\(count)" }
}
