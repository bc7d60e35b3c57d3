import Logging
import ServiceLifecycle

/// Runs `service` (a server, say) until `body` returns or throws, then shuts it down gracefully
/// and waits until it has ended.
///
/// Graceful, never by cancelling its task: cancelling a NIO server while it accepts a connection
/// traps in NIO ("Deinited NIOAsyncWriter without calling finish()"), because the accepted
/// channel is never handed to anyone who closes it. A graceful shutdown closes the listening
/// socket first, then lets each connection finish, so it cannot meet that window. A server whose
/// handlers may wait on a client must end those waits when the client goes (the fake upstream's
/// hanging faults do).
public func withRunningService<Result: Sendable>(
    _ service: some Service,
    logger: Logger = Logger(label: "test-service"),
    _ body: () async throws -> Result
) async throws -> Result {
    let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try outcome.get()
    }
}
