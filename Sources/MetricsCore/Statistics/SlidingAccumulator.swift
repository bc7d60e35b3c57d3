/// Count, mean and spread of a range of a sequence that slides forward: elements join at the end
/// and leave at the start, each in amortized O(1), and the statistics of the range are read in
/// O(``blockSize``).
///
/// Nothing is ever subtracted out of an accumulator, because subtracting a departed value leaves
/// its rounding error behind: after a volatile hour, a flat window would report a tiny variance,
/// or a negative one. Instead the range is split in two, as in the two-stack sliding-window
/// aggregation: a *back* part that grows with each new element (one Welford update), and a *front*
/// part whose suffix statistics were computed once, at block granularity, when it was formed. An
/// element leaving moves the start forward inside the front; when the front runs out, the back
/// becomes the new front (one pass over it, so each element is folded a bounded number of times).
/// Every answer is a merge of accumulators over values actually in the range, so its accuracy is
/// that of one Welford pass.
///
/// Values are accumulated relative to a shift, an element of the range chosen when the front is
/// formed: a price near 100,000 moving by 0.001 is then accumulated as numbers near 0.001, with no
/// digits lost to the common part.
///
/// Indices are absolute positions in the sequence; the element at an index is read through a
/// closure, so the accumulator holds no copy of the data.
struct SlidingAccumulator: Sendable {
    static let blockSize = 32

    private(set) var start = 0
    private(set) var end = 0
    /// Front is `start ..< pivot`, back is `pivot ..< end`.
    private var pivot = 0
    /// Where the front's first block begins.
    private var frontBase = 0
    /// `frontSuffixes[k]` holds the statistics of `frontBase + k * blockSize ..< pivot`.
    private var frontSuffixes: [RunningStatistics] = []
    private var back = RunningStatistics()
    /// Subtracted from every element before it is accumulated.
    private(set) var shift: Double = 0

    init() {}

    /// Starts over on `start ..< end`, for when elements were inserted inside the range.
    init(start: Int, end: Int, element: (Int) -> Double) {
        self.start = start
        self.end = end
        formFront(from: start, element: element)
    }

    mutating func append(_ element: Double) {
        if start == end {
            // An empty range: the new element sets the shift, for accuracy.
            start = end
            pivot = end
            frontBase = end
            frontSuffixes.removeAll(keepingCapacity: true)
            back = RunningStatistics()
            shift = element
        }
        end += 1
        back.add(element - shift)
    }

    /// Drops the elements before `newStart` (clamped to the end of the range).
    mutating func advanceStart(to newStart: Int, element: (Int) -> Double) {
        let newStart = min(newStart, end)
        guard newStart > start else { return }
        start = newStart
        if start >= pivot { formFront(from: start, element: element) }
    }

    /// The statistics of `start ..< end`, of elements minus ``shift``.
    func statistics(element: (Int) -> Double) -> RunningStatistics {
        var result = RunningStatistics()
        if start < pivot {
            let offset = start - frontBase
            let block = (offset + Self.blockSize - 1) / Self.blockSize
            let boundary = min(frontBase + block * Self.blockSize, pivot)
            for index in start..<boundary { result.add(element(index) - shift) }
            if boundary < pivot { result.merge(frontSuffixes[block]) }
        }
        result.merge(back)
        return result
    }

    /// Makes `from ..< end` the front, with suffix statistics per block, and empties the back.
    private mutating func formFront(from first: Int, element: (Int) -> Double) {
        frontBase = first
        pivot = end
        back = RunningStatistics()
        frontSuffixes.removeAll(keepingCapacity: true)
        guard first < end else { return }
        shift = element(end - 1)
        let blocks = (end - first + Self.blockSize - 1) / Self.blockSize
        frontSuffixes.reserveCapacity(blocks)
        var suffix = RunningStatistics()
        var suffixes = [RunningStatistics](repeating: RunningStatistics(), count: blocks)
        for block in stride(from: blocks - 1, through: 0, by: -1) {
            let lower = first + block * Self.blockSize
            let upper = min(lower + Self.blockSize, end)
            var statistics = RunningStatistics()
            for index in lower..<upper { statistics.add(element(index) - shift) }
            statistics.merge(suffix)
            suffix = statistics
            suffixes[block] = suffix
        }
        frontSuffixes = suffixes
    }
}
