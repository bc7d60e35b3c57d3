import MetricsStore

/// Where a reader of the PostgreSQL change feed is, in terms of transactions rather than ids.
///
/// An identity value is taken when a row is inserted, not when its transaction commits, so a
/// batch with a smaller id can become visible after a larger one: "every batch after id N" would
/// skip it. Transaction ids do better. At each read, every transaction older than the snapshot's
/// `xmin` (`pg_snapshot_xmin(pg_current_snapshot())`) has ended: its batches are visible now or
/// never will be. So a reader keeps that `xmin`, and the ids of the transactions at or after it
/// that it has already read (committed before the snapshot while an older one was still open).
/// The next read takes the batches of transactions from that `xmin` on that it has not read:
/// each exactly once, whatever order they commit in.
///
/// The list of transactions read past `xmin` stays short: it holds only those that committed
/// while an older transaction was still open, and empties as soon as that one ends.
struct PostgresFeedPosition: Equatable {
    /// Every transaction before this one has ended, and its writes were read.
    var xmin: Int64
    /// Transactions from `xmin` on whose writes were read already.
    var read: [Int64]

    init(xmin: Int64, read: [Int64]) {
        self.xmin = xmin
        self.read = read.sorted()
    }

    /// `nil` for a cursor this store did not make, which reads as no cursor: a full load.
    init?(_ cursor: ChangeCursor) {
        guard let first = cursor.position.first, first > 0 else { return nil }
        self.init(xmin: first, read: Array(cursor.position.dropFirst()))
    }

    var cursor: ChangeCursor { ChangeCursor(position: [xmin] + read) }

    /// The position after reading, at a snapshot whose `xmin` is `snapshotXmin`, the writes of
    /// transactions `seen` (everything visible from this position on).
    func advanced(to snapshotXmin: Int64, seen: some Sequence<Int64>) -> PostgresFeedPosition {
        let stillOpenBefore = Set(read).union(seen).filter { $0 >= snapshotXmin }
        return PostgresFeedPosition(xmin: max(xmin, snapshotXmin), read: Array(stillOpenBefore))
    }
}
