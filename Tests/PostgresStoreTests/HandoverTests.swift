import TestSupport
import Testing

@testable import PostgresStore

/// The way of one connection from the pool's task to a caller and back, in every order its events
/// can come in: the pool's offer or failure, the caller's take, its timeout and its cancellation.
/// Whatever the order, the caller gets the connection or an error once, and the pool's task gets
/// the connection back (or never lends it).
// A regression here would leave a test waiting for ever rather than failing: the limit ends it.
@Suite(.timeLimit(.minutes(2))) struct HandoverTests {
    private struct Refused: Error, Equatable {}

    @Test func anOfferBeforeTheTakeIsTaken() async throws {
        let handover = Handover<Int>()
        #expect(handover.offer(7))
        #expect(try await handover.take() == 7)
    }

    @Test func anOfferWakesAWaitingTake() async throws {
        let handover = Handover<Int>()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await handover.take() }
            try await Self.untilTaking(handover)
            #expect(handover.offer(7))
            #expect(try await group.next() == 7)
        }
    }

    @Test func aTimeoutBeforeTheOfferRefusesItAndFailsTheTake() async throws {
        let handover = Handover<Int>()
        #expect(handover.abandonIfWaiting(because: Refused()))
        #expect(!handover.offer(7), "the pool's task hands its connection straight back")
        await handover.returned()
        await #expect(throws: Refused.self) { try await handover.take() }
    }

    @Test func aTimeoutWakesAWaitingTakeWithItsError() async throws {
        let handover = Handover<Int>()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await handover.take() }
            try await Self.untilTaking(handover)
            #expect(handover.abandonIfWaiting(because: Refused()))
            await #expect(throws: Refused.self) { try await group.next() }
        }
        #expect(!handover.offer(7))
    }

    @Test func aTimeoutAfterTheOfferLeavesTheConnectionToTheCaller() async throws {
        let handover = Handover<Int>()
        #expect(handover.offer(7))
        #expect(!handover.abandonIfWaiting(because: Refused()))
        #expect(try await handover.take() == 7)
    }

    @Test func aCancelledTakeRefusesTheLaterOffer() async throws {
        let handover = Handover<Int>()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await handover.take() }
            try await Self.untilTaking(handover)
            group.cancelAll()
            await #expect(throws: CancellationError.self) { try await group.next() }
        }
        #expect(!handover.offer(7))
        await handover.returned()
    }

    @Test func aTakeCancelledAfterTheOfferGivesTheConnectionBack() async throws {
        let handover = Handover<Int>()
        #expect(handover.offer(7))
        await withThrowingTaskGroup(of: Int.self) { group in
            group.cancelAll()
            group.addTask { try await handover.take() }
            await #expect(throws: CancellationError.self) { try await group.next() }
        }
        // The pool's task is not left waiting for a connection the caller never had.
        await handover.returned()
    }

    @Test func aFailureReachesTheTakeBeforeOrAfterIt() async throws {
        let early = Handover<Int>()
        #expect(early.fail(Refused()))
        await #expect(throws: Refused.self) { try await early.take() }

        let late = Handover<Int>()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await late.take() }
            try await Self.untilTaking(late)
            #expect(late.fail(Refused()))
            await #expect(throws: Refused.self) { try await group.next() }
        }
    }

    @Test func aFailureAfterATimeoutTellsNoOne() async throws {
        let handover = Handover<Int>()
        #expect(handover.abandonIfWaiting(because: Refused()))
        #expect(!handover.fail(CancellationError()))
        await #expect(throws: Refused.self) { try await handover.take() }
    }

    @Test func thePoolsTaskWaitsUntilTheCallerGivesTheConnectionBack() async throws {
        let handover = Handover<Int>()
        #expect(handover.offer(7))
        #expect(try await handover.take() == 7)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await handover.returned() }
            // Suspended in returned(), not through it, while the caller holds the connection.
            let waiting = try await eventually(within: .seconds(30), every: .milliseconds(1)) {
                handover.isAwaitingReturn ? true : nil
            }
            #expect(waiting == true, "the pool's task waits for the connection")
            handover.giveBack()
            try await group.waitForAll()
        }
        // Given back before the pool's task asks: it does not wait.
        let early = Handover<Int>()
        #expect(early.offer(8))
        #expect(try await early.take() == 8)
        early.giveBack()
        await early.returned()
    }

    /// Until a task is suspended in `take()`, so that what follows meets a waiting caller.
    private static func untilTaking(_ handover: Handover<Int>) async throws {
        let taking = try await eventually(within: .seconds(30), every: .milliseconds(1)) { handover.isTaking ? true : nil }
        try #require(taking == true, "the take began")
    }
}
