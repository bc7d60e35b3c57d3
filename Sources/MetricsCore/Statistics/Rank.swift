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

    /// Ranks `id` among `deviations` (metric id → standard deviation): ascending by deviation,
    /// ties broken by id ascending so that the order is total and stable across requests.
    /// `nil` when `id` has no deviation of its own.
    public static func of(_ id: Int64, among deviations: [Int64: Double]) -> Rank? {
        guard let own = deviations[id] else { return nil }
        let ahead = deviations.count { other in
            other.value < own || (other.value == own && other.key < id)
        }
        return Rank(position: ahead + 1, count: deviations.count)
    }
}
