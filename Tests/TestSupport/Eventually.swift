/// Polls `condition` every `interval` until it returns a value or `deadline` passes: the bounded way
/// to wait for something another task or process does, instead of sleeping and hoping.
public func eventually<Value>(
    within deadline: Duration = .seconds(60),
    every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Value?
) async throws -> Value? {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while true {
        if let value = try await condition() { return value }
        if clock.now >= end { return nil }
        try await Task.sleep(for: interval)
    }
}
