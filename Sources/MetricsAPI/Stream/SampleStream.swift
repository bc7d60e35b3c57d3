import Hummingbird
import Logging
import MetricsCore
import MetricsStore
import Synchronization

/// The live stream's recent events, kept once for every `GET /stream` client.
///
/// Each refresh of the statistics becomes one ``Batch``: its events encoded once, in server-sent
/// events' wire format, in one buffer that every client that wants all of them is sent as it is
/// (a `ByteBuffer` shares its storage, so a thousand clients cost one copy). Clients only keep a
/// position in this log, never a queue of their own, so a slow client costs no memory: it falls
/// behind in the shared log until it is cut off (see ``StreamConnection``), and what it missed is
/// still here when it comes back with `Last-Event-ID`, for ``Configuration/replay`` or until the log
/// outgrows ``Configuration/replayBytes``.
///
/// Event ids are this process's: `<instance>-<sequence>`. A client that comes back to another
/// instance (or after a restart) cannot resume there, and is told to reload with a `reset` event.
public final class SampleStream: Sendable {
    public struct Configuration: Sendable {
        /// How long events are kept for clients that reconnect.
        public var replay: Duration = .seconds(600)
        /// At most this many bytes of events are kept, whatever their age.
        public var replayBytes = 64 << 20
        /// How much further behind than when it connected a client may fall before it is cut off.
        public var clientLagBytes = 4 << 20
        /// A write the client has not taken within this is given up on, and the client cut off.
        public var stallTimeout: Duration = .seconds(10)
        /// A comment is sent after this long without events, so that proxies keep the connection.
        public var heartbeat: Duration = .seconds(15)
        /// The window whose statistics each `sample` event carries.
        public var window = StatisticsWindow.default

        public init() {}
    }

    /// The events of one refresh, in one buffer.
    struct Batch: Sendable {
        /// The sequence number of `events[0]`; the others follow one by one.
        let first: UInt64
        let events: [Event]
        let bytes: ByteBuffer
        /// Bytes published up to the end of this batch, over the stream's life: a client's lag
        /// is the difference of two of these.
        let total: Int
        let published: ContinuousClock.Instant

        var last: UInt64 { first + UInt64(events.count) - 1 }
        /// Whether every event in it may go to anyone, so that its buffer may be sent whole.
        var isPublic: Bool { events.allSatisfy { $0.owner == nil } }
    }

    /// Where one event lies in its batch's buffer, which metric it is about (`nil`: it goes to
    /// every client, whatever it asked for), and which key may see it (`nil`: anyone).
    struct Event: Sendable {
        let metricID: Int64?
        var owner: Int64? = nil
        let range: Range<Int>
    }

    private struct State {
        var batches: [Batch] = []
        var bytes = 0
        var total = 0
        var nextSequence: UInt64 = 1
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits given an id but not yet suspended, and those of them already cancelled.
        var unregistered: Set<Int> = []
        var cancelledBeforeRegistering: Set<Int> = []
        var nextWaiter = 0
        var clients = 0
        /// When a client last came or the last one went: what is published within the replay time
        /// after it may be asked for.
        var followedAt: ContinuousClock.Instant?
    }

    public let configuration: Configuration
    /// Tells this process's event ids from another's.
    let instance: String
    private let statistics: LiveStatistics
    private let clock = ContinuousClock()
    private let state = Mutex(State())
    /// Held by whoever publishes, from numbering a batch to appending it, so that encoding (the
    /// costly part) happens outside `state`'s lock, which clients take to read.
    private let publishing = Mutex(())
    let telemetry = StreamTelemetry()

    public init(statistics: LiveStatistics, configuration: Configuration = Configuration()) {
        self.statistics = statistics
        self.configuration = configuration
        instance = String(UInt64.random(in: 1...UInt64(UInt32.max)), radix: 36)
    }

    /// How many clients are connected now.
    public var clients: Int { state.withLock { $0.clients } }

    /// Counts a client in for as long as `body` runs.
    func connect<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        state.withLock { state in
            state.clients += 1
            telemetry.connected(state.clients)
        }
        defer {
            state.withLock { state in
                state.clients -= 1
                telemetry.connected(state.clients)
                if state.clients == 0 { state.followedAt = clock.now }
            }
        }
        return try await body()
    }

    /// Whether anyone may want what is published now: a client is connected, or one left within
    /// the replay time and may come back for it. Otherwise publishing is skipped, so that an
    /// instance nobody watches spends nothing on the stream (a start's backfill is thousands of
    /// events).
    private func isFollowed(at now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in state.clients > 0 || state.followedAt.map { now - $0 < configuration.replay } ?? false }
    }

    /// Forgets the log when publishing is skipped, and leaves a gap in the numbers, so that a
    /// client that comes back with an id from before is told to reset rather than missing what
    /// was skipped.
    private func skip() {
        publishing.withLock { _ in
            state.withLock { state in
                guard !state.batches.isEmpty else { return }
                state.batches.removeAll()
                state.bytes = 0
                state.nextSequence += 1
            }
        }
    }

    /// The sequence number of the newest event, 0 before the first.
    var head: UInt64 { state.withLock { $0.nextSequence - 1 } }

    /// The sequence number of the newest event the log keeps, `nil` when it keeps none.
    var newestKept: UInt64? { state.withLock { $0.batches.last?.last } }

    // MARK: Publishing

    /// Publishes what a refresh of the statistics added, each sample with its metric's statistics
    /// over ``Configuration/window`` as of that refresh; after a full load, which may have skipped
    /// anything, a `reset`.
    public func publish(_ refresh: LiveStatistics.Refresh) {
        guard isFollowed(at: clock.now) else { return skip() }
        if refresh.isFullLoad {
            publishReset(reason: "The statistics were reloaded from the store; reload what you show.")
            return
        }
        guard !refresh.added.isEmpty else { return }
        let window = configuration.window
        let described = statistics.read { book in
            refresh.added.compactMap { columns in
                book.metric(columns.metricID).map { (columns, $0, book.statistics(of: columns.metricID, window: window)) }
            }
        }
        var encoder = StreamEventEncoder(instance: instance)
        append { sequence in
            for (columns, metric, statistics) in described {
                // Shutting down: nobody will read this (a start's backfill takes a while to encode).
                if Task.isCancelled { return ([], ByteBuffer()) }
                for (timestamp, value) in zip(columns.timestamps, columns.values) {
                    let sample = SampleEvent(
                        metric: metric, timestamp: timestamp, value: value, window: window, statistics: statistics)
                    encoder.sample(sample, sequence: sequence())
                }
            }
            return encoder.finish()
        }
    }

    /// Publishes alert events, each to the streams opened with its subscription's key.
    func publishAlerts(_ recorded: [RecordedAlertEvents.Owned]) {
        guard !recorded.isEmpty else { return }
        var encoder = StreamEventEncoder(instance: instance)
        append { sequence in
            for owned in recorded { encoder.alert(owned.event, owner: owned.owner, sequence: sequence()) }
            return encoder.finish()
        }
    }

    /// Follows the outbox for as long as the task runs, publishing what any instance records; idle
    /// while nobody follows the stream (it starts again from then on).
    public func followAlerts(in outbox: any AlertOutbox, every interval: Duration = .milliseconds(250), logger: Logger) async {
        var cursor: ChangeCursor?
        var failing = false
        while !Task.isCancelled {
            if isFollowed(at: clock.now) {
                do {
                    let recorded = try await outbox.recordedEvents(after: cursor)
                    if cursor != nil { publishAlerts(recorded.events) }
                    cursor = recorded.cursor
                    if failing { logger.info("the live stream follows the alert outbox again") }
                    failing = false
                } catch is CancellationError {
                    return
                } catch {
                    if !failing { logger.error("cannot read the alert outbox; the stream carries no alerts until it can: \(error)") }
                    failing = true
                }
            } else {
                cursor = nil
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Publishes a `reset`: every client reloads what it shows.
    func publishReset(reason: String) {
        var encoder = StreamEventEncoder(instance: instance)
        append { sequence in
            encoder.reset(reason: reason, sequence: sequence())
            return encoder.finish()
        }
    }

    /// Appends one batch, numbered and encoded under the publishing lock so that batches are in
    /// sequence order, then wakes every waiting client. `state`'s lock is held only to append.
    private func append(_ encode: (_ nextSequence: () -> UInt64) -> (events: [Event], bytes: ByteBuffer)) {
        publishing.withLock { _ in
            let first = state.withLock { $0.nextSequence }
            var next = first
            let (events, bytes) = encode {
                defer { next += 1 }
                return next
            }
            guard !events.isEmpty else { return }
            let now = clock.now
            let waiters = state.withLock { state in
                state.nextSequence = next
                state.total += bytes.readableBytes
                state.bytes += bytes.readableBytes
                state.batches.append(Batch(first: first, events: events, bytes: bytes, total: state.total, published: now))
                // Forget what is too old or too much; at least the newest batch stays.
                var dropped = 0
                while dropped < state.batches.count - 1,
                    state.bytes > configuration.replayBytes || now - state.batches[dropped].published > configuration.replay
                {
                    state.bytes -= state.batches[dropped].bytes.readableBytes
                    dropped += 1
                }
                state.batches.removeFirst(dropped)
                let waiters = Array(state.waiters.values)
                state.waiters.removeAll()
                return waiters
            }
            telemetry.published(events.count)
            for waiter in waiters { waiter.resume() }
        }
    }

    // MARK: Reading

    /// Where a client that sent `lastEventID` goes on from: after that event when it is still kept,
    /// else from the newest one, with `missed` set (it must be sent a `reset`).
    func resume(after lastEventID: String?) -> (position: UInt64, missed: Bool) {
        state.withLock { state in
            // Followed from now: a publish that starts before the client is counted in is kept.
            state.followedAt = clock.now
            let head = state.nextSequence - 1
            guard let lastEventID else { return (head, false) }
            let parts = lastEventID.split(separator: "-", maxSplits: 1)
            guard parts.count == 2, parts[0] == instance, let sequence = UInt64(parts[1]), sequence <= head else {
                return (head, true)
            }
            // Kept when the event after it is still in the log (or nothing came since).
            let oldestKept = state.batches.first?.first ?? state.nextSequence
            guard sequence + 1 >= oldestKept else { return (head, true) }
            return (sequence, false)
        }
    }

    /// What a client at `position` has not been sent: the batches holding events after it, and how
    /// many bytes were published after it. `nil` when the log no longer holds the event after it.
    func backlog(after position: UInt64) -> (batches: ArraySlice<Batch>, lagBytes: Int)? {
        state.withLock { state in
            guard position < state.nextSequence - 1 else { return ([], 0) }
            guard let oldest = state.batches.first, position + 1 >= oldest.first else { return nil }
            let start = state.batches.partitionPoint { $0.last > position }
            let batches = state.batches[start...]
            let before = batches.first.map { $0.total - $0.bytes.readableBytes } ?? state.total
            return (batches, state.total - before)
        }
    }

    /// Returns once an event after `position` is published, after `timeout`, or when cancelled.
    func wait(after position: UInt64, upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.wait(after: position) }
            await group.next()
            group.cancelAll()
        }
    }

    private func wait(after position: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            state.unregistered.insert(state.nextWaiter)
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    state.unregistered.remove(id)
                    let cancelled = state.cancelledBeforeRegistering.remove(id) != nil
                    if cancelled || state.nextSequence - 1 > position { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // Not suspended yet: it will see this when it is. Already resumed: nothing to do.
                if state.unregistered.contains(id) { state.cancelledBeforeRegistering.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}
