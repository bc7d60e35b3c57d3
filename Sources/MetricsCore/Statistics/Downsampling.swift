/// Thinning a history for charts.
public enum Downsampling {
    /// The offsets of at most `maxPoints` samples that keep the shape of the series, by Steinarsson's
    /// largest-triangle-three-buckets: the first and last samples are kept, the rest are split into
    /// `maxPoints − 2` buckets, and from each the sample forming the largest triangle with the sample
    /// kept before it and the average of the next bucket is kept. Every offset when the history is
    /// not longer than `maxPoints`.
    public static func largestTriangleThreeBuckets(_ history: SampleHistory, maxPoints: Int) -> [Int] {
        let count = history.count
        guard maxPoints < count else { return Array(0..<count) }
        guard maxPoints > 2 else { return maxPoints == 2 ? [0, count - 1] : (maxPoints == 1 ? [count - 1] : []) }
        let origin = history.timestamps.first!
        let x = { (offset: Int) in Double(history.timestamps[history.timestamps.startIndex + offset] - origin) }
        let y = { (offset: Int) in history.values[history.values.startIndex + offset] }

        var kept = [0]
        kept.reserveCapacity(maxPoints)
        let bucketWidth = Double(count - 2) / Double(maxPoints - 2)
        var previous = 0
        for bucket in 0..<(maxPoints - 2) {
            let lower = Int(Double(bucket) * bucketWidth) + 1
            let upper = Int(Double(bucket + 1) * bucketWidth) + 1
            // The next bucket's average; the last bucket looks at the final sample.
            let nextLower = upper
            let nextUpper = min(Int(Double(bucket + 2) * bucketWidth) + 1, count)
            var averageX = 0.0
            var averageY = 0.0
            for offset in nextLower..<nextUpper {
                averageX += x(offset)
                averageY += y(offset)
            }
            let nextCount = Double(nextUpper - nextLower)
            averageX /= nextCount
            averageY /= nextCount

            let previousX = x(previous)
            let previousY = y(previous)
            var best = lower
            var bestArea = -1.0
            for offset in lower..<upper {
                let area = abs((previousX - averageX) * (y(offset) - previousY) - (previousX - x(offset)) * (averageY - previousY))
                if area > bestArea {
                    bestArea = area
                    best = offset
                }
            }
            kept.append(best)
            previous = best
        }
        kept.append(count - 1)
        return kept
    }
}
