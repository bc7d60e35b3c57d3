import Logging
import Metrics
import MetricsCore
import MetricsStore
import ServiceLifecycle

/// Judges every new sample by the rules of the subscriptions on its metric, and records what
/// changed in the store's outbox.
///
/// It runs in every API instance, beside the statistics it reads its samples from. Instances
/// judge the same samples, and may differ in the last bits of m and D; they agree through the
/// store instead: a subscription's state moves only by ``AlertOutbox/advance(_:)`` from the
/// revision read, so the first instance to judge a sample decides it, the others read what it
/// decided, and each episode's event is recorded once.
public struct AlertDetector: Sendable {
    /// How often the subscriptions are read afresh from the store, to see those made, changed or
    /// deleted through another instance.
    public static var defaultReloadInterval: Duration { .seconds(5) }

    private let statistics: LiveStatistics
    private let outbox: any AlertOutbox
    private let now: @Sendable () -> Timestamp
    private let logger: Logger

    private var watched: [Int64: Subscription] = [:]
    /// The watched subscriptions of each metric, ascending by id.
    private var byMetric: [Int64: [Int64]] = [:]
    /// Each metric's last sample judged.
    private var judgedThrough: [Int64: Int64] = [:]
    private var judge = AlertJudge()
    /// Events recorded (made once: a handle is costly to make).
    private let recordedEvents = Counter(label: AlertTelemetryLabel.events)

    public init(
        statistics: LiveStatistics, outbox: any AlertOutbox, logger: Logger, now: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        self.statistics = statistics
        self.outbox = outbox
        self.logger = logger
        self.now = now
    }

    /// What one ``detect()`` did.
    public struct Report: Sendable {
        /// Samples judged, over every watched metric.
        public var samples = 0
        /// Subscriptions whose state moved, and events recorded.
        public var advanced = 0
        public var events = 0
        /// Advances another instance made first.
        public var conflicts = 0
        /// Reading the book and judging, without the writes.
        public var judging = Duration.zero
    }

    /// How many subscriptions are watched.
    public var watchedCount: Int { watched.count }

    /// Reads the watched subscriptions afresh from the store.
    public mutating func reload() async throws {
        let subscriptions = try await outbox.watchedSubscriptions()
        let old = byMetric
        watched = Dictionary(uniqueKeysWithValues: subscriptions.map { ($0.id, $0) })
        byMetric = Dictionary(grouping: subscriptions.map(\.id), by: { watched[$0]!.metricID })
        for metric in Set(old.keys).union(byMetric.keys) {
            judge.release(metric, keepingFor: conditions(of: metric))
            if byMetric[metric] == nil { judgedThrough[metric] = nil }
        }
        // A metric newly watched is judged from the samples after now: a subscription made now
        // sees the next sample, not the history before it.
        if statistics.isLoaded {
            let newlyWatched = byMetric.keys.filter { old[$0] == nil && judgedThrough[$0] == nil }
            statistics.read { book in
                for metric in newlyWatched { judgedThrough[metric] = book.newestTimestamp(of: metric) ?? .min }
            }
        }
    }

    /// Judges the samples the statistics took in since the last call, and records each
    /// subscription's move. A metric first watched before the statistics were loaded starts from
    /// its newest sample: history is not judged.
    @discardableResult
    public mutating func detect() async throws -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        var report = Report()
        let plan = byMetric.keys.map { metric in
            let conditions = conditions(of: metric)
            return (
                metric: metric, after: judgedThrough[metric], seeding: judge.unseeded(metric, for: conditions),
                references: AlertJudge.referenceWindows(for: conditions)
            )
        }
        let inputs = statistics.read { book in
            plan.map { step -> (Int64, AlertInput?, Int64?, Metric?) in
                guard let after = step.after else { return (step.metric, nil, book.newestTimestamp(of: step.metric), nil) }
                let input = book.alertInput(of: step.metric, after: after, seeding: step.seeding, references: step.references)
                return (step.metric, input, nil, input == nil ? nil : book.metric(step.metric))
            }
        }
        var advances: [(metric: Int64, advance: AlertAdvance, verdicts: [(time: Timestamp, judgement: AlertJudgement)])] = []
        let previouslyJudged = judgedThrough
        let time = now()
        for (metricID, input, newest, metric) in inputs {
            guard let input, let metric else {
                if let newest { judgedThrough[metricID] = newest }
                continue
            }
            let ids = byMetric[metricID] ?? []
            let verdicts = judge.judge(input, by: ids.map { watched[$0]!.rule.condition })
            report.samples += input.timestamps.count
            judgedThrough[metricID] = input.timestamps.last
            for (id, judgements) in zip(ids, verdicts) {
                let subscription = watched[id]!
                // Samples another instance has judged for this subscription already are not judged
                // again: its stored state holds them (read at a reload, or at a conflict).
                let judged = subscription.judgedThrough?.microsecondsSince1970 ?? .min
                let timed = zip(input.timestamps, judgements).filter { $0.0 > judged }.map {
                    (Timestamp(microsecondsSince1970: $0), $1)
                }
                guard !timed.isEmpty else { continue }
                let (state, events) = Self.observe(timed, from: subscription.state, of: subscription, metric: metric)
                guard state != subscription.state else { continue }
                advances.append(
                    (
                        metricID,
                        AlertAdvance(
                            subscriptionID: id, expectedRevision: subscription.revision, state: state, judgedThrough: timed.last!.0,
                            events: events, at: time),
                        timed
                    ))
            }
        }
        report.judging = clock.now - started
        do {
            try await store(advances.map { ($0.advance, $0.verdicts) }, report: &report)
        } catch {
            // Nothing of this cycle was stored (one transaction): it is judged again at the next
            // call, its metrics back where they were, their windows to be built afresh from the
            // book.
            for metric in Set(advances.map(\.metric)) {
                judgedThrough[metric] = previouslyJudged[metric]
                judge.release(metric, keepingFor: [])
            }
            throw error
        }
        return report
    }

    /// Writes the advances in one transaction; where another instance moved a subscription first,
    /// takes its state and applies the verdicts on samples it had not judged yet, once more.
    private mutating func store(
        _ advances: [(advance: AlertAdvance, verdicts: [(time: Timestamp, judgement: AlertJudgement)])], report: inout Report
    ) async throws {
        var pending = advances
        for round in 0..<2 {
            guard !pending.isEmpty else { return }
            // In one order in every instance: two transactions updating the same subscriptions
            // in different orders would deadlock on PostgreSQL's row locks.
            pending.sort { $0.advance.subscriptionID < $1.advance.subscriptionID }
            let results = try await outbox.advance(pending.map(\.advance))
            var again: [(advance: AlertAdvance, verdicts: [(time: Timestamp, judgement: AlertJudgement)])] = []
            for ((advance, verdicts), result) in zip(pending, results) {
                switch result {
                case .advanced(let revision, let events):
                    report.advanced += 1
                    report.events += events.count
                    recordedEvents.increment(by: events.count)
                    watched[advance.subscriptionID] = watched[advance.subscriptionID]?.advanced(
                        to: advance.state, judgedThrough: advance.judgedThrough, revision: revision)
                case .conflict(nil):
                    report.conflicts += 1
                    forget(advance.subscriptionID)
                case .conflict(let current?):
                    report.conflicts += 1
                    let judgedRule = watched[current.id]?.rule
                    watched[current.id] = current
                    if round > 0 {
                        logger.debug("alerts: subscription \(current.id) moved under this instance twice; its stored state stands")
                    }
                    let unjudged = verdicts.filter { verdict in current.judgedThrough.map { verdict.time > $0 } ?? true }
                    // Another rule now, or nothing left to judge: the stored state stands.
                    guard round == 0, current.rule == judgedRule, !unjudged.isEmpty,
                        let metric = statistics.read({ $0.metric(current.metricID) })
                    else { continue }
                    let (state, events) = Self.observe(unjudged, from: current.state, of: current, metric: metric)
                    guard state != current.state else { continue }
                    again.append(
                        (
                            AlertAdvance(
                                subscriptionID: current.id, expectedRevision: current.revision, state: state,
                                judgedThrough: unjudged.last!.time, events: events, at: advance.at),
                            unjudged
                        ))
                }
            }
            pending = again
        }
    }

    private mutating func forget(_ id: Int64) {
        guard let subscription = watched.removeValue(forKey: id) else { return }
        byMetric[subscription.metricID]?.removeAll { $0 == id }
        if byMetric[subscription.metricID]?.isEmpty == true { byMetric[subscription.metricID] = nil }
        judge.release(subscription.metricID, keepingFor: conditions(of: subscription.metricID))
    }

    private func conditions(of metric: Int64) -> [AlertCondition] {
        (byMetric[metric] ?? []).map { watched[$0]!.rule.condition }
    }

    /// Runs the verdicts through the state machine: the state after them, and an event for each
    /// transition, with the figures of the verdict that caused it.
    static func observe(
        _ verdicts: [(time: Timestamp, judgement: AlertJudgement)], from start: AlertState, of subscription: Subscription, metric: Metric
    ) -> (AlertState, [NewAlertEvent]) {
        var state = start
        var events: [NewAlertEvent] = []
        for (time, judgement) in verdicts {
            guard let transition = state.observe(holds: judgement.holds, at: time, rule: subscription.rule) else { continue }
            events.append(
                NewAlertEvent(
                    kind: transition.kind, episode: transition.episode, isSent: transition.isSent, sampleTime: time,
                    data: AlertEventData(
                        subscription: subscription, metric: metric, episode: transition.episode, judgement: judgement, sampleTime: time
                    ).json))
        }
        return (state, events)
    }
}

/// Runs the detector for as long as the server runs: after each refresh of the statistics that
/// brought samples, and reading the subscriptions afresh every few seconds, or at once when this
/// instance's API changed one.
public struct AlertDetectionService: Service {
    private let statistics: LiveStatistics
    private let outbox: any AlertOutbox
    private let subscriptionsChanged: Doorbell
    private let eventsRecorded: Doorbell
    private let reloadInterval: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - subscriptionsChanged: rung by this instance's API when a subscription is made, changed
    ///     or deleted.
    ///   - eventsRecorded: rung when events were recorded, for the dispatcher.
    public init(
        statistics: LiveStatistics, outbox: any AlertOutbox, subscriptionsChanged: Doorbell, eventsRecorded: Doorbell,
        reloadInterval: Duration = AlertDetector.defaultReloadInterval, logger: Logger
    ) {
        self.statistics = statistics
        self.outbox = outbox
        self.subscriptionsChanged = subscriptionsChanged
        self.eventsRecorded = eventsRecorded
        self.reloadInterval = reloadInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await detect() }
    }

    private func detect() async {
        var detector = AlertDetector(statistics: statistics, outbox: outbox, logger: logger)
        let clock = ContinuousClock()
        var nextReload = clock.now
        var failing = false
        while !Task.isCancelled {
            do {
                if subscriptionsChanged.take() || clock.now >= nextReload {
                    try await detector.reload()
                    nextReload = clock.now + reloadInterval
                }
                if statistics.isLoaded {
                    let report = try await detector.detect()
                    if report.events > 0 { eventsRecorded.ring() }
                    if report.advanced > 0 || report.conflicts > 0 {
                        logger.debug(
                            "alerts: judged \(report.samples) samples for \(detector.watchedCount) subscriptions in \(report.judging); \(report.advanced) moved, \(report.events) events, \(report.conflicts) decided elsewhere"
                        )
                    }
                }
                if failing {
                    logger.info("alerts: detection runs again")
                    failing = false
                }
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.error("alerts: cannot read or write subscriptions; detection waits: \(error)") }
                failing = true
            }
            await statistics.newSamples.wait(upTo: min(reloadInterval, .seconds(1)))
        }
    }
}
