/// A multiset of values kept in order, with the count and sum of every subtree, so that "how many
/// values lie below `pivot`, and what do they add up to" takes O(log n), as do insertion and removal.
///
/// Why: the deviation rule needs Σ|x − m| over an hour of samples at every new sample, and `m`
/// moves each time; splitting the sum at `m` into the values below and above it turns that into
/// two prefix queries instead of a rescan of the hour.
///
/// A treap (a binary search tree balanced by random priorities) stored in parallel arrays with
/// 32-bit links: at 20,000 metrics with an hour of samples a second apart, each node's size
/// matters. Every subtree sum is recomputed from its children when the subtree changes, never
/// adjusted by subtracting a departed value, so rounding errors do not accumulate as samples come
/// and go. Values are summed relative to the first value inserted (`shift`), so that prices near
/// 100,000 moving by cents keep their digits.
struct OrderedSums: Sendable {
    private var values: [Double] = []
    /// Over each subtree, of `value - shift`.
    private var sums: [Double] = []
    private var counts: [Int32] = []
    private var left: [Int32] = []
    private var right: [Int32] = []
    private var priorities: [UInt32] = []
    /// Slots of removed nodes, reused before the arrays grow.
    private var free: [Int32] = []
    private var root: Int32 = -1
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// Subtracted from every value before it is summed: the first value ever inserted.
    private(set) var shift: Double?

    init() {}

    var count: Int { root < 0 ? 0 : Int(counts[Int(root)]) }

    /// The sum of every value, minus `shift` each.
    var shiftedSum: Double { root < 0 ? 0 : sums[Int(root)] }

    mutating func insert(_ value: Double) {
        if shift == nil { shift = value }
        let node = makeNode(value)
        let (below, atOrAbove) = split(root, below: value)
        root = merge(merge(below, node), atOrAbove)
    }

    /// Removes one occurrence of `value`; returns whether there was one.
    @discardableResult
    mutating func remove(_ value: Double) -> Bool {
        let (below, atOrAbove) = split(root, below: value)
        let (equal, above) = split(atOrAbove, atMost: value)
        guard equal >= 0 else {
            root = merge(below, above)
            return false
        }
        // Drop the root of the equal values' subtree: any one of them will do.
        let rest = merge(left[Int(equal)], right[Int(equal)])
        free.append(equal)
        root = merge(merge(below, rest), above)
        if root < 0 {
            // Empty: the next value sets a fresh shift, near where the values are now.
            shift = nil
            free.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            sums.removeAll(keepingCapacity: true)
            counts.removeAll(keepingCapacity: true)
            left.removeAll(keepingCapacity: true)
            right.removeAll(keepingCapacity: true)
            priorities.removeAll(keepingCapacity: true)
        }
        return true
    }

    /// Sums every value relative to `newShift` from now on, recomputing each subtree's sum from the
    /// values themselves, in O(n). For when the shift has drifted far from the values (a spike
    /// set it, then left): sums of numbers near 1e12 keep no digits for values near 50.
    mutating func reshift(to newShift: Double) {
        guard root >= 0 else { return }
        shift = newShift
        // Post-order without recursion: children before parents.
        var stack: [(node: Int32, childrenDone: Bool)] = [(root, false)]
        while let (node, childrenDone) = stack.popLast() {
            if childrenDone {
                update(node)
                continue
            }
            stack.append((node, true))
            if right[Int(node)] >= 0 { stack.append((right[Int(node)], false)) }
            if left[Int(node)] >= 0 { stack.append((left[Int(node)], false)) }
        }
    }

    /// How many values are strictly below `pivot`, and their sum minus `shift` each.
    func below(_ pivot: Double) -> (count: Int, shiftedSum: Double) {
        var count = 0
        var sum = 0.0
        var node = root
        while node >= 0 {
            let index = Int(node)
            if values[index] < pivot {
                let smaller = left[index]
                if smaller >= 0 {
                    count += Int(counts[Int(smaller)])
                    sum += sums[Int(smaller)]
                }
                count += 1
                sum += values[index] - shift!
                node = right[index]
            } else {
                node = left[index]
            }
        }
        return (count, sum)
    }

    // MARK: The treap

    private mutating func makeNode(_ value: Double) -> Int32 {
        // SplitMix64: priorities need only be independent of the values.
        random &+= 0x9E37_79B9_7F4A_7C15
        var bits = random
        bits = (bits ^ (bits >> 30)) &* 0xBF58_476D_1CE4_E5B9
        bits = (bits ^ (bits >> 27)) &* 0x94D0_49BB_1331_11EB
        let priority = UInt32(truncatingIfNeeded: bits ^ (bits >> 31))
        let shifted = value - shift!
        if let slot = free.popLast() {
            let index = Int(slot)
            values[index] = value
            sums[index] = shifted
            counts[index] = 1
            left[index] = -1
            right[index] = -1
            priorities[index] = priority
            return slot
        }
        values.append(value)
        sums.append(shifted)
        counts.append(1)
        left.append(-1)
        right.append(-1)
        priorities.append(priority)
        return Int32(values.count - 1)
    }

    private mutating func update(_ node: Int32) {
        let index = Int(node)
        var count: Int32 = 1
        var sum = values[index] - shift!
        if left[index] >= 0 {
            count += counts[Int(left[index])]
            sum = sums[Int(left[index])] + sum
        }
        if right[index] >= 0 {
            count += counts[Int(right[index])]
            sum += sums[Int(right[index])]
        }
        counts[index] = count
        sums[index] = sum
    }

    /// Splits `node`'s subtree into the values below `pivot` and the rest.
    private mutating func split(_ node: Int32, below pivot: Double) -> (Int32, Int32) {
        guard node >= 0 else { return (-1, -1) }
        let index = Int(node)
        if values[index] < pivot {
            let (lower, upper) = split(right[index], below: pivot)
            right[index] = lower
            update(node)
            return (node, upper)
        } else {
            let (lower, upper) = split(left[index], below: pivot)
            left[index] = upper
            update(node)
            return (lower, node)
        }
    }

    /// Splits `node`'s subtree into the values at most `pivot` and the rest.
    private mutating func split(_ node: Int32, atMost pivot: Double) -> (Int32, Int32) {
        guard node >= 0 else { return (-1, -1) }
        let index = Int(node)
        if values[index] <= pivot {
            let (lower, upper) = split(right[index], atMost: pivot)
            right[index] = lower
            update(node)
            return (node, upper)
        } else {
            let (lower, upper) = split(left[index], atMost: pivot)
            left[index] = upper
            update(node)
            return (lower, node)
        }
    }

    /// Joins two subtrees, every value of `lower` being at most every value of `upper`.
    private mutating func merge(_ lower: Int32, _ upper: Int32) -> Int32 {
        guard lower >= 0 else { return upper }
        guard upper >= 0 else { return lower }
        if priorities[Int(lower)] > priorities[Int(upper)] {
            right[Int(lower)] = merge(right[Int(lower)], upper)
            update(lower)
            return lower
        } else {
            left[Int(upper)] = merge(lower, left[Int(upper)])
            update(upper)
            return upper
        }
    }
}
