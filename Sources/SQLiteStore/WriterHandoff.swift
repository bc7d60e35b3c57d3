import Dispatch
import Synchronization

/// Hands batches from an asynchronous producer to a synchronous consumer on another thread, one
/// at a time: how an import streams its rows into SQLite's one write transaction, which GRDB runs
/// synchronously on its writer's queue.
///
/// The producer never blocks: it awaits until the consumer has taken its batch, so that at most
/// one batch waits in memory while the previous one is written. The consumer blocks its own
/// thread (the writer's, never one of Swift's cooperative pool) while it waits for the next.
final class WriterHandoff<Element: Sendable>: Sendable {
    private enum Slot {
        case empty
        case offered(Element, CheckedContinuation<Void, any Error>)
        case finished
        case failed(any Error)
    }

    private struct State {
        var slot = Slot.empty
        /// Set when the consumer has given up (its transaction failed): later offers fail with it.
        var stopped: (any Error)?
    }

    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)

    /// Offers `element` and returns once the consumer has taken it; throws the consumer's error if
    /// it has stopped.
    func send(_ element: Element) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let refusal = state.withLock { state -> (any Error)? in
                if let stopped = state.stopped { return stopped }
                state.slot = .offered(element, continuation)
                return nil
            }
            if let refusal {
                continuation.resume(throwing: refusal)
            } else {
                signal.signal()
            }
        }
    }

    /// Tells the consumer that every batch has been sent.
    func finish() {
        state.withLock { $0.slot = .finished }
        signal.signal()
    }

    /// Tells the consumer that the producer failed: its ``next()`` throws `error`.
    func fail(_ error: any Error) {
        state.withLock { $0.slot = .failed(error) }
        signal.signal()
    }

    /// The next batch, waiting for it on this thread; `nil` once the producer has finished.
    /// Throws the producer's error.
    func next() throws -> Element? {
        signal.wait()
        let (element, continuation) = try state.withLock { state throws -> (Element?, CheckedContinuation<Void, any Error>?) in
            switch state.slot {
            case .offered(let element, let continuation):
                state.slot = .empty
                return (element, continuation)
            case .finished:
                return (nil, nil)
            case .failed(let error):
                throw error
            case .empty:
                preconditionFailure("the handoff was signalled with nothing in it")
            }
        }
        continuation?.resume()
        return element
    }

    /// The consumer gives up with `error`: a batch offered now or later fails with it, so that the
    /// producer never waits for a consumer that is gone.
    func stop(_ error: any Error) {
        let waiting = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.stopped = error
            guard case .offered(_, let continuation) = state.slot else { return nil }
            state.slot = .empty
            return continuation
        }
        waiting?.resume(throwing: error)
    }
}
