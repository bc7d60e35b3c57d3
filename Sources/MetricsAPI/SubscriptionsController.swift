import Alerting
import Foundation
import Hummingbird
import MetricsCore
import MetricsStore

/// Alert subscriptions: `POST /subscriptions`, `GET /subscriptions` (the caller's own, paged),
/// `GET`, `PATCH` and `DELETE /subscriptions/{id}`. Every route needs `Authorization: Bearer KEY`;
/// a subscription belongs to the key that made it, and another key's is a 404, as if it did not
/// exist. Bodies are read strictly: a malformed body, or an unknown field or wrong type outside the
/// rule, is a 400 that names it; anything wrong inside the rule, an unknown metric or a webhook URL
/// that may not be used is a 422 naming the field; a body over 64 KiB is a 413. Each key's writes
/// (create, change, delete, redeliver) are limited (``WriteRateLimit``): past its allowance a write
/// gets 429 with `Retry-After`, and changes nothing.
///
/// Each subscription's outbox shows under it: `GET /subscriptions/{id}/events` (what fired and
/// resolved, with the figures that decided it), `GET /subscriptions/{id}/deliveries` (every
/// attempt) and `POST /subscriptions/{id}/deliveries/{event}/retry` (send an event again).
struct SubscriptionsController {
    let statistics: LiveStatistics
    let keys: any APIKeyStore
    let subscriptions: any SubscriptionStore
    let outbox: any AlertOutbox
    let targets: WebhookTargetPolicy
    let changed: Doorbell
    let now: @Sendable () -> Timestamp
    let writes: WriteAllowance

    static let largestBody = 64 * 1_024
    static let largestExactInteger: Int64 = 1 << 53 - 1
    static let defaultPageSize = 100
    static let largestPageSize = 1_000

    func addRoutes(to group: RouterGroup<some RequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.get("{id}", use: show)
        group.patch("{id}", use: update)
        group.delete("{id}", use: delete)
        group.get("{id}/events", use: events)
        group.get("{id}/deliveries", use: deliveries)
        group.post("{id}/deliveries/{event}/retry", use: retry)
    }

    @Sendable func create(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        try writes.charge(key: owner, at: now())
        _ = try QueryParameters(request, allowed: [])
        let body = try await Self.object(request)
        try Self.allowOnly(body, ["metric_id", "rule", "webhook"])
        guard let metricValue = body["metric_id"] else {
            throw APIError(.badRequest, "metric_id is required: the id of a metric (GET /metrics)")
        }
        // JSON numbers are read as doubles: ids past 2^53 could not be told apart, and none is that high.
        guard let metricID = metricValue.double.flatMap(Int64.init(exactly:)), (1...Self.largestExactInteger).contains(metricID) else {
            throw APIError(
                .badRequest, "metric_id must be an integer from 1 to \(Self.largestExactInteger), the id of a metric (GET /metrics)")
        }
        guard let ruleValue = body["rule"] else {
            throw APIError(.badRequest, "rule is required: an object with a kind (deviation, threshold or change)")
        }
        guard let webhook = body["webhook"]?.object else {
            throw APIError(.badRequest, "webhook is required: an object such as {\"url\": \"https://...\"}")
        }
        try Self.allowOnly(webhook, ["url"], prefix: "webhook.")
        guard let urlText = webhook["url"]?.string else {
            throw APIError(.badRequest, "webhook.url is required: a string, the URL notifications are posted to")
        }
        let rule = try Self.rule(ruleValue)
        try statistics.requireLoaded()
        guard statistics.read({ $0.metric(metricID) }) != nil else {
            throw APIError(.unprocessableContent, "metric_id \(metricID) is no metric (GET /metrics lists them)")
        }
        let url = try await checkedTarget(urlText)
        let secret = WebhookSecret.generate()
        let subscription = try await subscriptions.createSubscription(
            SubscriptionDraft(owner: owner, metricID: metricID, rule: rule, webhookURL: url.absoluteString, secret: secret.text), at: now())
        changed.ring()
        var response = JSONBody.response(SubscriptionBody(subscription: subscription, secret: secret.text), status: .created)
        response.headers[.location] = "/subscriptions/\(subscription.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        let query = try QueryParameters(request, allowed: ["after", "limit"])
        let after = try query.integer("after", in: 0...Int.max).map(Int64.init)
        let limit = try query.integer("limit", in: 1...Self.largestPageSize) ?? Self.defaultPageSize
        let page = try await subscriptions.subscriptions(of: owner, after: after, limit: limit)
        return JSONBody.response(SubscriptionListBody(subscriptions: page, isFull: page.count == limit))
    }

    @Sendable func show(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        guard let subscription = try await subscriptions.subscription(id, of: owner) else { throw Self.notFound(id) }
        return JSONBody.response(SubscriptionBody(subscription: subscription, secret: nil))
    }

    @Sendable func update(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        try writes.charge(key: owner, at: now())
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let body = try await Self.object(request)
        try Self.allowOnly(body, ["paused", "rule"])
        var change = SubscriptionChange()
        if let paused = body["paused"] {
            guard case .bool(let flag) = paused else { throw APIError(.badRequest, "paused must be true or false") }
            change.paused = flag
        }
        if let rule = body["rule"] { change.rule = try Self.rule(rule) }
        guard change.paused != nil || change.rule != nil else {
            throw APIError(.badRequest, "Give paused (true to pause, false to resume), rule, or both.")
        }
        guard let subscription = try await subscriptions.updateSubscription(id, of: owner, change, at: now()) else {
            throw Self.notFound(id)
        }
        changed.ring()
        return JSONBody.response(SubscriptionBody(subscription: subscription, secret: nil))
    }

    @Sendable func delete(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        try writes.charge(key: owner, at: now())
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        guard try await subscriptions.deleteSubscription(id, of: owner) else { throw Self.notFound(id) }
        changed.ring()
        return Response(status: .noContent)
    }

    @Sendable func events(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        let (before, limit) = try Self.page(request)
        let id = try Self.id(context)
        guard let events = try await outbox.events(of: id, owner: owner, before: before, limit: limit) else { throw Self.notFound(id) }
        return JSONBody.response(AlertEventListBody(events: events, isFull: events.count == limit))
    }

    @Sendable func deliveries(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        let (before, limit) = try Self.page(request)
        let id = try Self.id(context)
        guard let attempts = try await outbox.deliveryAttempts(of: id, owner: owner, before: before, limit: limit) else {
            throw Self.notFound(id)
        }
        return JSONBody.response(DeliveryListBody(attempts: attempts, isFull: attempts.count == limit))
    }

    @Sendable func retry(_ request: Request, context: some RequestContext) async throws -> Response {
        let owner = try await authenticate(request)
        try writes.charge(key: owner, at: now())
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let text = context.parameters.get("event") ?? ""
        guard let event = Int64(text), event > 0 else {
            throw APIError(.badRequest, "Invalid event ID: \"\(text)\". Must be a positive integer (GET /subscriptions/\(id)/events).")
        }
        switch try await outbox.redeliver(event: event, of: id, owner: owner, at: now()) {
        case .scheduled(let scheduled):
            return JSONBody.response(AlertEventBody(event: scheduled), status: .accepted)
        case .inFlight:
            throw APIError(.conflict, "Event \(event) is being delivered right now; see GET /subscriptions/\(id)/deliveries.")
        case .notFound:
            guard try await subscriptions.subscription(id, of: owner) != nil else { throw Self.notFound(id) }
            throw APIError(.notFound, "Subscription \(id) has no event with ID \(event) (GET /subscriptions/\(id)/events lists them).")
        }
    }

    // MARK: Reading requests

    /// The id of the key the request is made with, or a 401 that says how to get one.
    private func authenticate(_ request: Request) async throws -> Int64 {
        try await BearerKey.owner(of: request, keys: keys)
    }

    /// `?before=&limit=`: newest first, pages going back.
    private static func page(_ request: Request) throws -> (before: Int64?, limit: Int) {
        let query = try QueryParameters(request, allowed: ["before", "limit"])
        let before = try query.integer("before", in: 1...Int.max).map(Int64.init)
        return (before, try query.integer("limit", in: 1...largestPageSize) ?? defaultPageSize)
    }

    private func checkedTarget(_ text: String) async throws -> URL {
        do {
            return try await targets.check(text)
        } catch {
            throw APIError(.unprocessableContent, "webhook.url \(error)")
        }
    }

    private static func object(_ request: Request) async throws -> [String: JSONValue] {
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: largestBody)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "The body is larger than 64 KiB; a subscription is far smaller.")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes.readableBytesView)
        } catch {
            throw APIError(.badRequest, "The body is not valid JSON: \(error)")
        }
        guard let object = value.object else { throw APIError(.badRequest, "The body must be a JSON object.") }
        return object
    }

    private static func allowOnly(_ object: [String: JSONValue], _ names: [String], prefix: String = "") throws {
        for name in object.keys.sorted() where !names.contains(name) {
            throw APIError(
                .badRequest,
                "Unknown field \"\(prefix)\(name)\". The fields are \(names.map { "\"\(prefix)\($0)\"" }.joined(separator: ", ")).")
        }
    }

    private static func rule(_ value: JSONValue) throws -> AlertRule {
        do {
            return try AlertRule(json: value)
        } catch {
            throw APIError(.unprocessableContent, "\(error.field) \(error.reason)")
        }
    }

    private static func id(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, "Invalid subscription ID: \"\(text)\". Must be a positive integer.")
        }
        return id
    }

    private static func notFound(_ id: Int64) -> APIError {
        APIError(.notFound, "No subscription with ID \(id) for this key.")
    }
}

/// One subscription, as every route answers it; `secret` only when it was just made.
struct SubscriptionBody: JSONBodyWritable {
    let subscription: Subscription
    let secret: String?

    func write(to json: inout JSONWriter) {
        json.raw("{")
        SubscriptionBody.fields(of: subscription, to: &json)
        if let secret {
            json.raw(",")
            json.key("secret")
            json.string(secret)
        }
        json.raw("}")
    }

    static func fields(of subscription: Subscription, to json: inout JSONWriter) {
        json.key("id")
        json.integer(subscription.id)
        json.raw(",")
        json.key("metric_id")
        json.integer(subscription.metricID)
        json.raw(",")
        json.key("rule")
        json.json(subscription.rule.json)
        json.raw(",")
        json.key("webhook")
        json.raw("{")
        json.key("url")
        json.string(subscription.webhookURL)
        json.raw("},")
        json.key("state")
        json.string(subscription.state.status.rawValue)
        json.raw(",")
        json.key("paused")
        json.raw(subscription.paused ? "true" : "false")
        json.raw(",")
        json.key("created_at")
        json.timestamp(subscription.createdAt.microsecondsSince1970)
        json.raw(",")
        json.key("updated_at")
        json.timestamp(subscription.updatedAt.microsecondsSince1970)
    }
}

/// A page of the caller's subscriptions; `next_after` is the `after` of the next page, `null` on
/// the last one.
struct SubscriptionListBody: JSONBodyWritable {
    let subscriptions: [Subscription]
    let isFull: Bool

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("subscriptions")
        json.raw("[")
        for (index, subscription) in subscriptions.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            SubscriptionBody.fields(of: subscription, to: &json)
            json.raw("}")
        }
        json.raw("],")
        json.key("next_after")
        if isFull, let last = subscriptions.last { json.integer(last.id) } else { json.raw("null") }
        json.raw("}")
    }
}

/// One outbox event: `{"id", "type", "episode", "status", "sample_time", "created_at", "attempts",
/// "next_attempt_at", "delivered_at", "last_error", "data"}`, `data` as the webhook carries it.
struct AlertEventBody: JSONBodyWritable {
    let event: AlertEvent

    func write(to json: inout JSONWriter) {
        json.raw("{")
        Self.fields(of: event, to: &json)
        json.raw("}")
    }

    static func fields(of event: AlertEvent, to json: inout JSONWriter) {
        json.key("id")
        json.integer(event.id)
        json.raw(",")
        json.key("type")
        json.string(event.kind.rawValue)
        json.raw(",")
        json.key("episode")
        json.integer(event.episode)
        json.raw(",")
        json.key("status")
        json.string(event.status.rawValue)
        json.raw(",")
        json.key("sample_time")
        json.timestamp(event.sampleTime.microsecondsSince1970)
        json.raw(",")
        json.key("created_at")
        json.timestamp(event.createdAt.microsecondsSince1970)
        json.raw(",")
        json.key("attempts")
        json.integer(event.attempts)
        json.raw(",")
        json.key("next_attempt_at")
        json.optionalTimestamp(event.nextAttemptAt)
        json.raw(",")
        json.key("delivered_at")
        json.optionalTimestamp(event.deliveredAt)
        json.raw(",")
        json.key("last_error")
        json.optionalString(event.lastError)
        json.raw(",")
        json.key("data")
        json.json(event.data)
    }
}

/// A page of a subscription's events, newest first; `next_before` is the `before` of the next
/// page, `null` on the last one.
struct AlertEventListBody: JSONBodyWritable {
    let events: [AlertEvent]
    let isFull: Bool

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("events")
        json.raw("[")
        for (index, event) in events.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            AlertEventBody.fields(of: event, to: &json)
            json.raw("}")
        }
        json.raw("],")
        json.key("next_before")
        if isFull, let last = events.last { json.integer(last.id) } else { json.raw("null") }
        json.raw("}")
    }
}

/// A page of a subscription's delivery attempts, newest first: `{"id", "event_id", "attempted_at",
/// "status_code", "latency_ms", "error", "outcome", "next_attempt_at"}` each.
struct DeliveryListBody: JSONBodyWritable {
    let attempts: [RecordedAttempt]
    let isFull: Bool

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("deliveries")
        json.raw("[")
        for (index, recorded) in attempts.enumerated() {
            let attempt = recorded.attempt
            if index > 0 { json.raw(",") }
            json.raw("{")
            json.key("id")
            json.integer(recorded.id)
            json.raw(",")
            json.key("event_id")
            json.integer(attempt.eventID)
            json.raw(",")
            json.key("attempted_at")
            json.timestamp(attempt.attemptedAt.microsecondsSince1970)
            json.raw(",")
            json.key("status_code")
            if let status = attempt.statusCode { json.integer(status) } else { json.raw("null") }
            json.raw(",")
            json.key("latency_ms")
            json.float(Double(attempt.latencyMicroseconds) / 1_000)
            json.raw(",")
            json.key("error")
            json.optionalString(attempt.error)
            json.raw(",")
            json.key("outcome")
            json.string(attempt.outcome.name)
            json.raw(",")
            json.key("next_attempt_at")
            if case .retry(let time) = attempt.outcome { json.timestamp(time.microsecondsSince1970) } else { json.raw("null") }
            json.raw("}")
        }
        json.raw("],")
        json.key("next_before")
        if isFull, let last = attempts.last { json.integer(last.id) } else { json.raw("null") }
        json.raw("}")
    }
}
