/// Runs `operation` while a probe measures how much later than asked this process's tasks wake:
/// the time a loaded machine withheld from it. A test that checks a deadline of another process
/// (a stop within 2 s) takes that lag off what it measured, so that its verdict is about the
/// process under test rather than about the machine: on an idle machine the lag is a few
/// milliseconds and the deadline is checked as it stands.
public func measuringSchedulingLag<Result>(
    _ operation: () async throws -> Result
) async throws -> (result: Result, lag: Duration) {
    try await withThrowingTaskGroup(of: Duration.self) { group in
        group.addTask {
            let clock = ContinuousClock()
            let step = Duration.milliseconds(50)
            var lag = Duration.zero
            while !Task.isCancelled {
                let asked = clock.now
                do { try await Task.sleep(for: step) } catch { break }
                lag += max(.zero, clock.now - asked - step)
            }
            return lag
        }
        let result: Result
        do {
            result = try await operation()
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
        return (result, try await group.next() ?? .zero)
    }
}
