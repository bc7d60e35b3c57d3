/// Runs `operation` for each element with at most `limit` running at once, collecting the results.
func boundedConcurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element],
    limit: Int,
    _ operation: @escaping @Sendable (Element) async -> Result
) async -> [Result] {
    await withTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: elements.count)
        var next = 0
        func addNext() {
            guard next < elements.count else { return }
            let index = next
            let element = elements[index]
            group.addTask { (index, await operation(element)) }
            next += 1
        }
        for _ in 0..<min(limit, elements.count) { addNext() }
        while let (index, result) = await group.next() {
            results[index] = result
            addNext()
        }
        return results.map { $0! }
    }
}
