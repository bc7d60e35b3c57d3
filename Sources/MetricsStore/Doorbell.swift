import Synchronization

/// Tells one waiting task that something happened: the statistics took in new samples, the
/// detector recorded events. Rings while nobody waits are kept as one, so the waiter never misses
/// that there is work, and never wakes twice for work it has already seen.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before their continuation was registered.
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiters = state.withLock { state in
            let waiters = state.waiters
            state.waiters.removeAll()
            state.rung = waiters.isEmpty
            return waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether it rang since the last wait or take, without waiting; clears the ring.
    public func take() -> Bool {
        state.withLock { state in
            defer { state.rung = false }
            return state.rung
        }
    }

    /// Returns at the next ring (at once if it rang since the last wait), when `timeout` has
    /// passed, or when the task is cancelled.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns at the next ring (at once if it rang since the last wait), or when cancelled.
    public func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.rung || state.cancelled.remove(id) != nil {
                        state.rung = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
