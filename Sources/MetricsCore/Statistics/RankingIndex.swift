/// Metrics ordered by one measure, ascending, ties by id: the order behind ``Rank`` and
/// `GET /rankings`. A metric's rank is a binary search, O(log n); changing one metric's value moves
/// one entry; a cycle that changes most metrics re-sorts once instead.
public struct RankingIndex: Sendable {
    public struct Entry: Hashable, Sendable {
        public let value: Double
        public let id: Int64

        /// The ranking order: by value, then by id, so that the order is total and stable.
        @inline(__always)
        static func precedes(_ lhs: Entry, _ rhs: Entry) -> Bool {
            lhs.value < rhs.value || (lhs.value == rhs.value && lhs.id < rhs.id)
        }
    }

    /// Ascending by ``Entry/precedes(_:_:)``.
    public private(set) var entries: [Entry] = []
    private var valueByID: [Int64: Double] = [:]

    public init() {}

    public var count: Int { entries.count }

    /// Sets the values of several metrics at once; `nil` takes a metric out of the ranking.
    public mutating func update(_ changes: some Collection<(id: Int64, value: Double?)>) {
        guard changes.count * 8 > max(entries.count, 64) else {
            for change in changes { set(change.value, for: change.id) }
            return
        }
        // Most metrics changed: re-sort once. The old order is nearly right (values move a little
        // per cycle), and the standard library's sort is adaptive, so this is close to linear.
        var arrived = Set<Int64>()
        for change in changes {
            let value = change.value.flatMap { $0.isFinite ? $0 : nil }
            if valueByID[change.id] == nil, value != nil { arrived.insert(change.id) }
            valueByID[change.id] = value
        }
        var updated: [Entry] = []
        updated.reserveCapacity(valueByID.count)
        for entry in entries where !arrived.contains(entry.id) {
            if let value = valueByID[entry.id] { updated.append(Entry(value: value, id: entry.id)) }
        }
        for id in arrived {
            if let value = valueByID[id] { updated.append(Entry(value: value, id: id)) }
        }
        updated.sort(by: Entry.precedes)
        entries = updated
    }

    public mutating func set(_ value: Double?, for id: Int64) {
        let value = value.flatMap { $0.isFinite ? $0 : nil }
        let old = valueByID[id]
        guard old != value else { return }
        if let old {
            let position = entries.partitionPoint { !Entry.precedes($0, Entry(value: old, id: id)) }
            entries.remove(at: position)
        }
        valueByID[id] = value
        if let value {
            let entry = Entry(value: value, id: id)
            entries.insert(entry, at: entries.partitionPoint { !Entry.precedes($0, entry) })
        }
    }

    /// `id`'s place, counted among the metrics that have a value; `nil` when it has none.
    public func rank(of id: Int64) -> Rank? {
        guard let value = valueByID[id] else { return nil }
        let entry = Entry(value: value, id: id)
        let ahead = entries.partitionPoint { !Entry.precedes($0, entry) }
        return Rank(position: ahead + 1, count: entries.count)
    }
}
