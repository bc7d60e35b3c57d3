extension RandomAccessCollection {
    /// The index of the first element for which `belongsToSecondPart` is true, in a collection where
    /// every such element follows every other: a binary search, O(log n).
    public func partitionPoint(where belongsToSecondPart: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try belongsToSecondPart(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
