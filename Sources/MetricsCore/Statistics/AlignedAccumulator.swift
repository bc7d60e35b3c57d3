/// Count, mean and spread of a window of a sequence that slides forward, computed so that the
/// answer depends only on the elements in the window and their timestamps, never on how the
/// accumulator came to hold them.
///
/// Why: several API instances behind a load balancer must serve the same bytes. One that slid
/// into a window sample by sample and one that loaded it at start would otherwise merge partial
/// results in different orders and disagree in the last digits, which flips ETags and ties.
///
/// How: the sequence is cut into blocks aligned on absolute time (`span` microseconds; an 8th to a
/// 64th of the window), and each block into 16 sub-blocks, the same cuts in every instance. Each
/// block's statistics are kept, folded in order (Welford) relative to its first element (a shift,
/// for accuracy: a price near 100,000 moving by 0.001 is accumulated as numbers near 0.001). A
/// window's statistics are then always the same merges (Chan et al.) in the same order, of parts
/// that lie wholly in the window and so are the same in every instance:
/// 1. the elements from the window's start to the end of its sub-block, folded one by one;
/// 2. the later sub-blocks of that first block, folded right to left (each relative to its own
///    first element), kept for every sub-block of the first block so that the start can move
///    through it without refolding;
/// 3. the blocks between the first and the last, folded left to right (kept);
/// 4. the last block, which may still be filling.
///
/// Nothing is ever subtracted: a departed value's rounding error cannot stay behind. Indices are
/// absolute positions in the sequence; elements are read through an ``AccumulatorElements``, so
/// the accumulator holds no copy of the data.
struct AlignedAccumulator: Sendable {
    static let subBlocks: Int64 = 16

    /// The elements that fall in one block: from `first` to the next block's first (or the end).
    /// Kept small: twenty thousand metrics hold six accumulators of up to 65 blocks each.
    private struct Block: Sendable {
        /// `timestamp / span` of the block's elements.
        let id: Int64
        let first: Int
        /// The first element's value, subtracted from every element before it is accumulated.
        let shift: Double
        /// Over the block's elements, folded in order.
        var running = RunningStatistics()
    }

    /// Which later sub-blocks of the first block a refresh needs: `subBlock ..< subBlocks` of
    /// block `block`, whose elements end at `end`.
    private struct SuffixKey: Equatable, Sendable {
        let block: Int64
        let end: Int
        let subBlock: Int64
    }

    /// The first block's sub-blocks folded right to left: `parts[j - from]` holds sub-blocks
    /// `j ..< subBlocks`. Valid while the first block and its end stay the same.
    private struct HeadSuffixes: Sendable {
        let block: Int64
        let end: Int
        let from: Int64
        let parts: [Part]

        func covers(_ key: SuffixKey) -> Bool { key.block == block && key.end == end && key.subBlock >= from }
        func part(_ key: SuffixKey) -> Part { parts[Int(key.subBlock - from)] }
    }

    let span: Int64
    private let subSpan: Int64
    private(set) var start = 0
    private(set) var end = 0
    // What every append and refresh reads is kept in the struct itself, not behind an array: at
    // twenty thousand metrics, each array touched is a cache miss, and they were most of the time.
    /// The newest block, still filling; `nil` only while the range is empty.
    private var filling: Block?
    /// The older blocks that still hold elements of the range, oldest first.
    private var blocks: [Block] = []
    /// The block the range starts in, and where the next block begins (`nil`: it is `filling`).
    private var head: (id: Int64, end: Int?) = (0, nil)
    private var headSuffixes: HeadSuffixes?
    /// The entry of `headSuffixes` the last refresh used, kept here too: while the start stays in
    /// one sub-block, a refresh need not reach into the array.
    private var suffix: (key: SuffixKey, part: Part)?
    /// The fold of the blocks between the first and `filling`, which changes only when either
    /// does: kept, so that a refresh merges a few parts rather than every block.
    private var middle: (head: Int64, filling: Int64, part: Part)?

    init(span: Int64) {
        // A whole number of sub-blocks, so that sub-blocks never straddle blocks.
        self.span = max(1, span / Self.subBlocks) * Self.subBlocks
        subSpan = self.span / Self.subBlocks
    }

    /// An empty range that starts at `index`.
    init(span: Int64, emptyAt index: Int) {
        self.init(span: span)
        start = index
        end = index
    }

    /// Folds `start ..< end` afresh: the same blocks as appending each element, found with one
    /// division per block rather than per element, for start-up, which folds every sample held.
    init(span: Int64, start: Int, end: Int, elements: some AccumulatorElements) {
        self.init(span: span, emptyAt: start)
        var index = start
        while index < end {
            let id = elements.timestamp(at: index).floorDivided(by: self.span).quotient
            let boundary = (id + 1) * self.span
            var block = Block(id: id, first: index, shift: elements.element(at: index))
            while index < end, elements.timestamp(at: index) < boundary {
                block.running.add(elements.element(at: index) - block.shift)
                index += 1
            }
            begin(block)
        }
        self.end = end
    }

    /// Adds the element at index `end`, stamped `timestamp`, which is later than every element held.
    mutating func append(_ value: Double, at timestamp: Int64) {
        let id = timestamp.floorDivided(by: span).quotient
        if start == end {
            blocks.removeAll(keepingCapacity: true)
            filling = nil
            headSuffixes = nil
            suffix = nil
            middle = nil
        }
        if filling?.id == id {
            filling!.running.add(value - filling!.shift)
        } else {
            var block = Block(id: id, first: end, shift: value)
            // As the fold of a range does, so that both give the same bits even for an infinity.
            block.running.add(value - block.shift)
            begin(block)
        }
        end += 1
    }

    /// Makes `block` the filling one, the previous filling block joining the full ones.
    private mutating func begin(_ block: Block) {
        if let full = filling {
            if blocks.isEmpty { head.end = block.first }
            blocks.append(full)
        } else {
            head = (block.id, nil)
        }
        filling = block
    }

    /// Drops the elements before `newStart` (clamped to the end of the range).
    mutating func advanceStart(to newStart: Int) {
        let newStart = min(newStart, end)
        guard newStart > start else { return }
        start = newStart
        guard start == end || start >= (head.end ?? end) else { return }
        if start == end {
            blocks.removeAll()
            filling = nil
            return
        }
        // The range now starts in a later block: drop the ones before it, at once, so that the
        // array never holds more than the window's blocks (spare capacity at twenty thousand
        // metrics costs megabytes).
        var newHead = 0
        while newHead + 1 < blocks.count, blocks[newHead + 1].first <= start { newHead += 1 }
        if newHead + 1 == blocks.count, let filling, filling.first <= start {
            blocks.removeAll()
            head = (filling.id, nil)
        } else {
            blocks.removeFirst(newHead)
            head = (blocks[0].id, blocks.count > 1 ? blocks[1].first : filling?.first)
        }
    }

    /// The statistics of `start ..< end`, of elements minus the returned shift. Mutating only to
    /// keep folds that later calls reuse: the answer is the same with or without them.
    mutating func statistics(_ elements: some AccumulatorElements) -> (statistics: RunningStatistics, shift: Double) {
        var fold = Part.Fold()
        guard let filling, start < end else { return (RunningStatistics(), 0) }
        let headEnd = head.end ?? end
        // 1. From the start to the end of its sub-block.
        let subBlock = elements.timestamp(at: start).floorDivided(by: subSpan).quotient - head.id * Self.subBlocks
        let boundary = (head.id * Self.subBlocks + subBlock + 1) * subSpan
        var position = start
        var partial = Part(shift: elements.element(at: start))
        while position < headEnd, elements.timestamp(at: position) < boundary {
            partial.statistics.add(elements.element(at: position) - partial.shift)
            position += 1
        }
        fold.add(partial)
        // 2. The later sub-blocks of the first block.
        if position < headEnd {
            let key = SuffixKey(block: head.id, end: headEnd, subBlock: subBlock + 1)
            if let suffix, suffix.key == key {
                fold.add(suffix.part)
            } else {
                if headSuffixes == nil || !headSuffixes!.covers(key) {
                    headSuffixes = HeadSuffixes(
                        block: key.block, end: key.end, from: key.subBlock,
                        parts: suffixes(of: head.id, from: key.subBlock, elements: position..<headEnd, elements))
                }
                let part = headSuffixes!.part(key)
                suffix = (key, part)
                fold.add(part)
            }
        }
        // 3. and 4. The blocks after it, which lie wholly in the range.
        guard let headEnd = head.end else { return fold.result }
        if headEnd != filling.first {
            if middle?.head != head.id || middle?.filling != filling.id {
                var middleFold = Part.Fold()
                for block in blocks[1...] { middleFold.add(Part(statistics: block.running, shift: block.shift)) }
                let (statistics, shift) = middleFold.result
                middle = (head.id, filling.id, Part(statistics: statistics, shift: shift))
            }
            if let middle { fold.add(middle.part) }
        }
        fold.add(Part(statistics: filling.running, shift: filling.shift))
        return fold.result
    }

    /// The sub-blocks `from ..< subBlocks` of block `block`, whose elements are `range`, folded
    /// right to left: entry `k` holds sub-blocks `from + k ..< subBlocks`.
    private func suffixes(
        of block: Int64, from: Int64, elements range: Range<Int>, _ elements: some AccumulatorElements
    ) -> [Part] {
        let base = block * Self.subBlocks
        let (first, end) = (range.lowerBound, range.upperBound)
        // Each sub-block on its own, left to right.
        var subBlocks = [Part?](repeating: nil, count: Int(Self.subBlocks - from))
        var position = first
        while position < end {
            let index = elements.timestamp(at: position).floorDivided(by: subSpan).quotient - base
            let boundary = (base + index + 1) * subSpan
            var part = Part(shift: elements.element(at: position))
            while position < end, elements.timestamp(at: position) < boundary {
                part.statistics.add(elements.element(at: position) - part.shift)
                position += 1
            }
            subBlocks[Int(index - from)] = part
        }
        // Then each suffix as the merge of its first sub-block and the next suffix.
        var parts = [Part](repeating: Part(shift: 0), count: subBlocks.count)
        var next: Part?
        for index in subBlocks.indices.reversed() {
            if let own = subBlocks[index] {
                var fold = Part.Fold()
                fold.add(own)
                if let next { fold.add(next) }
                let (statistics, shift) = fold.result
                next = Part(statistics: statistics, shift: shift)
            }
            parts[index] = next ?? Part(shift: 0)
        }
        return parts
    }
}

/// Statistics of some elements, each minus `shift`.
private struct Part: Sendable {
    var statistics = RunningStatistics()
    var shift: Double

    init(statistics: RunningStatistics = RunningStatistics(), shift: Double) {
        self.statistics = statistics
        self.shift = shift
    }

    /// Parts merged left to right, the result relative to the first non-empty part's shift.
    struct Fold {
        private var statistics = RunningStatistics()
        private var shift: Double?

        var result: (statistics: RunningStatistics, shift: Double) { (statistics, shift ?? 0) }

        mutating func add(_ part: Part) {
            guard part.statistics.count > 0 else { return }
            if let shift {
                statistics.merge(part.statistics.movingMean(by: part.shift - shift))
            } else {
                statistics = part.statistics
                shift = part.shift
            }
        }
    }
}

/// What an accumulator reads, by absolute index: a generic rather than closures, so that the
/// compiler specializes the loops over a series' arrays.
protocol AccumulatorElements {
    func element(at index: Int) -> Double
    func timestamp(at index: Int) -> Int64
}
