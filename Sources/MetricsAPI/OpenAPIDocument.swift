/// The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.json`.
///
/// Kept true by `OpenAPIConformanceTests`, which validates real responses of every route against
/// these schemas: a change to a response shape that is not made here too fails the tests.
public enum OpenAPIDocument {
    public static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "cryptometrics",
            "version": "1.7.0",
            "description": "Cryptocurrency price and volume metrics polled from exchanges, with history, volatility statistics and rankings over 1-hour, 24-hour and 7-day windows, kept ready as samples arrive. GET /metrics and GET /metrics/{id} are compatible with the original Flask app. Responses carry a strong ETag; send it back in If-None-Match for a 304."
          },
          "paths": {
            "/metrics": {
              "get": {
                "operationId": "listMetrics",
                "summary": "Every tracked metric, ascending by id.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "The metrics.",
                    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricList"}}}
                  },
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."},
                  "400": {
                    "description": "A query parameter was given; this endpoint takes none.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {"$ref": "#/components/responses/Loading"}
                }
              }
            },
            "/metrics/{id}": {
              "get": {
                "operationId": "getMetric",
                "summary": "One metric over a window (the last 24 hours by default) or a custom range: history, statistics, and rank among metrics of the same type.",
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "description": "A metric id from GET /metrics.",
                    "schema": {"type": "integer"}
                  },
                  {
                    "name": "window",
                    "in": "query",
                    "description": "The trailing window, kept ready. Not with from and to.",
                    "schema": {"$ref": "#/components/schemas/Window"}
                  },
                  {
                    "name": "from",
                    "in": "query",
                    "description": "Start of a custom range (RFC 3339, included), with to; computed on demand, at most 31 days and 500000 samples, without a rank.",
                    "schema": {"type": "string", "format": "date-time"}
                  },
                  {
                    "name": "to",
                    "in": "query",
                    "description": "End of a custom range (RFC 3339, included), with from.",
                    "schema": {"type": "string", "format": "date-time"}
                  },
                  {
                    "name": "max_points",
                    "in": "query",
                    "description": "Downsample the history to at most this many points with largest-triangle-three-buckets (first and last kept); statistics stay over every sample.",
                    "schema": {"type": "integer", "minimum": 2, "maximum": 1000000}
                  }
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "The metric's report.",
                    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricDetail"}}}
                  },
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."},
                  "400": {
                    "description": "The id is not an integer, or a query parameter is unknown or invalid (a bad window, timestamp or max_points, a reversed or too long range).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No metric has this id.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {"$ref": "#/components/responses/Loading"}
                }
              }
            },
            "/rankings": {
              "get": {
                "operationId": "getRankings",
                "summary": "Metrics of one type ordered by a volatility measure over a window, ascending (steadiest first), ties by id; metrics without that measure are left out.",
                "parameters": [
                  {"name": "metric_type", "in": "query", "description": "Default price.", "schema": {"$ref": "#/components/schemas/MetricType"}},
                  {"name": "window", "in": "query", "description": "Default 24h.", "schema": {"$ref": "#/components/schemas/Window"}},
                  {"name": "by", "in": "query", "description": "Default stddev.", "schema": {"$ref": "#/components/schemas/Measure"}},
                  {"name": "limit", "in": "query", "description": "Rows per page, default 100.", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}},
                  {"name": "offset", "in": "query", "description": "Rows to skip, default 0.", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "One page of the ranking.",
                    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ranking"}}}
                  },
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."},
                  "400": {
                    "description": "A query parameter is unknown or invalid.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {"$ref": "#/components/responses/Loading"}
                }
              }
            },
            "/overview": {
              "get": {
                "operationId": "getOverview",
                "summary": "Every metric at a glance, in id order: its newest value, its change over the last hour and day, its statistics and rank over the window, and a sparkline. The dashboard loads it once, then follows /stream.",
                "parameters": [
                  {"name": "window", "in": "query", "description": "Default 24h.", "schema": {"$ref": "#/components/schemas/Window"}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "One entry per metric.",
                    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Overview"}}}
                  },
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."},
                  "400": {
                    "description": "A query parameter is unknown or invalid.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {"$ref": "#/components/responses/Loading"}
                }
              }
            },
            "/stream": {
              "get": {
                "operationId": "stream",
                "summary": "Server-sent events (text/event-stream), open until the client or the server ends it. Each new sample is an event named sample (its data a SampleEvent, one line of JSON); reset tells the client it missed events and must reload what it shows; a comment heartbeat follows 15 s in which the client was sent nothing. Opened with Authorization: Bearer KEY, it also carries an event named alert (its data an AlertStreamEvent) for every alert event recorded for that key's subscriptions, by any instance. Every event has an id of this instance: send the last one seen as Last-Event-ID when reconnecting, and what came after it is sent first (kept 10 minutes, up to 64 MiB), else a reset. A client that stops reading for 10 s, or falls 4 MiB further behind than when it connected, is disconnected.",
                "parameters": [
                  {"name": "metrics", "in": "query", "description": "Metric ids separated by commas (at most 1000): only their samples are sent. Default every metric.", "schema": {"type": "string", "pattern": "^0*[1-9][0-9]{0,17}(,0*[1-9][0-9]{0,17}){0,999}$"}},
                  {"name": "Last-Event-ID", "in": "header", "description": "The id of the last event received, to resume after it.", "schema": {"type": "string"}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "The stream of events.",
                    "content": {"text/event-stream": {"x-event-data": {"sample": {"$ref": "#/components/schemas/SampleEvent"}, "alert": {"$ref": "#/components/schemas/AlertStreamEvent"}, "reset": {"$ref": "#/components/schemas/ResetEvent"}}}}
                  },
                  "401": {
                    "description": "An Authorization header was given, but not with an active key.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "400": {
                    "description": "metrics is not a list of ids, has too many, or another query parameter was given.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "metrics names a metric that does not exist.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/": {
              "get": {
                "operationId": "dashboard",
                "summary": "The dashboard (HTML): the overview table is in the page, sorted and paged by these parameters, and readable without JavaScript; the script (/dashboard.js) adds charts, live updates, rankings and status.",
                "parameters": [
                  {"name": "window", "in": "query", "description": "Default 24h.", "schema": {"$ref": "#/components/schemas/Window"}},
                  {"name": "sort", "in": "query", "description": "The column to sort by, default ticker.", "schema": {"type": "string", "enum": ["ticker", "metric_type", "value", "change_1h", "change_24h", "stddev", "cv", "log_return_volatility", "rank"]}},
                  {"name": "order", "in": "query", "description": "Default asc.", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                  {"name": "page", "in": "query", "description": "50 rows a page, default 1.", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The page.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"text/html": {"schema": {"type": "string"}}}},
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."},
                  "400": {
                    "description": "A query parameter is unknown or invalid.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/dashboard.js": {
              "get": {
                "operationId": "dashboardScript",
                "summary": "The dashboard's script.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The script.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"text/javascript": {"schema": {"type": "string"}}}},
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."}
                }
              }
            },
            "/dashboard.css": {
              "get": {
                "operationId": "dashboardStyle",
                "summary": "The dashboard's style sheet.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The style sheet.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"text/css": {"schema": {"type": "string"}}}},
                  "304": {"description": "Unchanged since the ETag sent in If-None-Match."}
                }
              }
            },
            "/healthz": {
              "get": {
                "operationId": "health",
                "summary": "Liveness: the process answers.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "Alive.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}
                  }
                }
              }
            },
            "/readyz": {
              "get": {
                "operationId": "readiness",
                "summary": "Readiness: the statistics are loaded and the database can be read.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "Ready to serve: status ready; or degraded, still serving what it holds, while this process's poll cycles wait in memory for a database that refuses writes.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
                  },
                  "503": {
                    "description": "The statistics are still loading, or the database cannot be read (the API still answers from what it holds).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/status": {
              "get": {
                "operationId": "getPollStatus",
                "summary": "What the poller in this process last saw: per ticker its last success and last error, and each upstream's circuit breaker. On a database whose pollers share the tickers (PostgreSQL), also every poller's leases; a process that does not poll then shows those alone.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {
                    "description": "The poller's status, or the pollers' leases in a process that does not poll.",
                    "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/PollStatus"}, {"$ref": "#/components/schemas/SharedPollStatus"}]}}}
                  },
                  "404": {
                    "description": "This process does not poll (serve --no-poll), and no pollers share the database's tickers.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {
                    "description": "The pollers' leases cannot be read from the database.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/ops/metrics": {
              "get": {
                "operationId": "getOperationalMetrics",
                "summary": "Operational metrics in Prometheus' text format: polls and failures by upstream and reason, upstream latency histograms, HTTP requests by route and status.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "Prometheus exposition format 0.0.4.", "content": {"text/plain": {"schema": {"type": "string"}}}}
                }
              }
            },
            "/subscriptions": {
              "post": {
                "operationId": "createSubscription",
                "summary": "Subscribe to alerts on one metric: a rule, and the webhook its notifications are posted to (signed as Standard Webhooks says, with the secret answered once, here).",
                "security": [{"bearer": []}],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubscriptionRequest"}}}
                },
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "201": {
                    "description": "Made. Location names it; secret signs its webhooks and is not shown again.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Subscription"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "429": {"$ref": "#/components/responses/TooManyWrites"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {"$ref": "#/components/responses/Unprocessable"},
                  "503": {"$ref": "#/components/responses/Loading"}
                }
              },
              "get": {
                "operationId": "listSubscriptions",
                "summary": "The caller's subscriptions, ascending by id, a page at a time.",
                "security": [{"bearer": []}],
                "parameters": [
                  {"name": "after", "in": "query", "description": "Only ids above this: the previous page's next_after.", "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}},
                  {"name": "limit", "in": "query", "description": "At most this many (default 100).", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubscriptionList"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"}
                }
              }
            },
            "/subscriptions/{id}": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}],
              "get": {
                "operationId": "getSubscription",
                "summary": "One of the caller's subscriptions; another key's is a 404.",
                "security": [{"bearer": []}],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The subscription.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Subscription"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {"$ref": "#/components/responses/NoSubscription"}
                }
              },
              "patch": {
                "operationId": "updateSubscription",
                "summary": "Pause or resume it, change its rule, or both. A new rule starts its state afresh (ok).",
                "security": [{"bearer": []}],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubscriptionChange"}}}
                },
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The subscription as it is now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Subscription"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "429": {"$ref": "#/components/responses/TooManyWrites"},
                  "404": {"$ref": "#/components/responses/NoSubscription"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {"$ref": "#/components/responses/Unprocessable"}
                }
              },
              "delete": {
                "operationId": "deleteSubscription",
                "summary": "Delete it.",
                "security": [{"bearer": []}],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "204": {"description": "Deleted."},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "429": {"$ref": "#/components/responses/TooManyWrites"},
                  "404": {"$ref": "#/components/responses/NoSubscription"}
                }
              }
            },
            "/subscriptions/{id}/events": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}],
              "get": {
                "operationId": "listSubscriptionEvents",
                "summary": "What fired and resolved, newest first, with the figures that decided it and how its delivery stands.",
                "security": [{"bearer": []}],
                "parameters": [
                  {"name": "before", "in": "query", "description": "Only ids below this: the previous page's next_before.", "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}},
                  {"name": "limit", "in": "query", "description": "At most this many (default 100).", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventList"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {"$ref": "#/components/responses/NoSubscription"}
                }
              }
            },
            "/subscriptions/{id}/deliveries": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}],
              "get": {
                "operationId": "listSubscriptionDeliveries",
                "summary": "Every attempt to deliver the subscription's events, newest first: when, the receiver's status, how long it took, what went wrong.",
                "security": [{"bearer": []}],
                "parameters": [
                  {"name": "before", "in": "query", "description": "Only ids below this: the previous page's next_before.", "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}},
                  {"name": "limit", "in": "query", "description": "At most this many (default 100).", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryList"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {"$ref": "#/components/responses/NoSubscription"}
                }
              }
            },
            "/subscriptions/{id}/deliveries/{event}/retry": {
              "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}},
                {"name": "event", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}
              ],
              "post": {
                "operationId": "redeliverEvent",
                "summary": "Send an event again, now, with a fresh day of retries: a dead one, a delivered one, or one waiting for its next retry.",
                "security": [{"bearer": []}],
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "202": {"description": "Scheduled: the event as it is now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "429": {"$ref": "#/components/responses/TooManyWrites"},
                  "404": {"description": "The caller has no such subscription, or it no such event.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                  "409": {"description": "The event is being delivered right now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openAPIDocument",
                "summary": "This document.",
                "responses": {
                  "414": {"$ref": "#/components/responses/TargetTooLong"},
                  "431": {"$ref": "#/components/responses/HeadTooLarge"},
                  "200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}}
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {"type": "http", "scheme": "bearer", "description": "An API key from cryptometrics keys create --name NAME."}
            },
            "headers": {
              "ETag": {"description": "A strong tag of the body's bytes, the same from every instance.", "schema": {"type": "string"}}
            },
            "responses": {
              "BadRequest": {
                "description": "The request is malformed (not JSON, an unknown field or a wrong type outside the rule, a bad id or query parameter); the error says what to fix.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Unauthorized": {
                "description": "No Authorization: Bearer KEY, or not an active key.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "NoSubscription": {
                "description": "The caller has no subscription with this id.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "TooManyWrites": {
                "description": "The key has spent its allowance of writes (http.key_write_burst at once, http.key_writes_per_minute a minute): nothing was done. Retry-After says in how many seconds the next write is allowed.",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "TooLarge": {
                "description": "The body is over 64 KiB.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "TargetTooLong": {
                "description": "The request target (path and query) is over 8 KiB; nothing was done.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "HeadTooLarge": {
                "description": "The request's headers are over 16 KiB (answered, the connection goes on), or its whole head over 64 KiB (answered, then the connection is closed); nothing was done.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Unprocessable": {
                "description": "Well-formed, but unusable: anything wrong in the rule (an unknown field, a wrong type, a value out of bounds), an unknown metric, a webhook URL that is not http(s) or may not be used. The error names the field.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Loading": {
                "description": "The statistics are still loading from the database after a start; retry in a few seconds.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              }
            },
            "schemas": {
              "Rule": {
                "description": "What fires the alert. deviation: |x - m| >= k * D, where m and D are the mean and the mean absolute deviation of the window's samples before x (at least min_samples of them, D > 0). threshold: the value above (or below) a line. change: the value moved by at least percent from the window's oldest sample. Each takes for_samples (consecutive samples before it fires, default 1), resolve_samples (consecutive samples before it resolves, default 5) and cooldown_seconds (after a notification before the next firing is sent, default 900). Answered with every default filled in.",
                "oneOf": [
                  {
                    "type": "object",
                    "properties": {
                      "kind": {"enum": ["deviation"]}, "k": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000}, "window": {"$ref": "#/components/schemas/Window"},
                      "min_samples": {"type": "integer", "minimum": 2, "maximum": 1000000}, "for_samples": {"type": "integer", "minimum": 1, "maximum": 10000},
                      "resolve_samples": {"type": "integer", "minimum": 1, "maximum": 10000}, "cooldown_seconds": {"type": "integer", "minimum": 0, "maximum": 604800}
                    },
                    "required": ["kind"],
                    "additionalProperties": false
                  },
                  {
                    "type": "object",
                    "properties": {
                      "kind": {"enum": ["threshold"]}, "above": {"type": "number"}, "for_samples": {"type": "integer", "minimum": 1, "maximum": 10000},
                      "resolve_samples": {"type": "integer", "minimum": 1, "maximum": 10000}, "cooldown_seconds": {"type": "integer", "minimum": 0, "maximum": 604800}
                    },
                    "required": ["kind", "above"],
                    "additionalProperties": false
                  },
                  {
                    "type": "object",
                    "properties": {
                      "kind": {"enum": ["threshold"]}, "below": {"type": "number"}, "for_samples": {"type": "integer", "minimum": 1, "maximum": 10000},
                      "resolve_samples": {"type": "integer", "minimum": 1, "maximum": 10000}, "cooldown_seconds": {"type": "integer", "minimum": 0, "maximum": 604800}
                    },
                    "required": ["kind", "below"],
                    "additionalProperties": false
                  },
                  {
                    "type": "object",
                    "properties": {
                      "kind": {"enum": ["change"]}, "window": {"$ref": "#/components/schemas/Window"}, "percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000},
                      "direction": {"enum": ["up", "down", "either"]}, "for_samples": {"type": "integer", "minimum": 1, "maximum": 10000},
                      "resolve_samples": {"type": "integer", "minimum": 1, "maximum": 10000}, "cooldown_seconds": {"type": "integer", "minimum": 0, "maximum": 604800}
                    },
                    "required": ["kind", "window", "percent"],
                    "additionalProperties": false
                  }
                ]
              },
              "Webhook": {
                "type": "object",
                "properties": {"url": {"type": "string", "description": "https:// (or http://) on a public address."}},
                "required": ["url"],
                "additionalProperties": false
              },
              "SubscriptionRequest": {
                "type": "object",
                "properties": {
                  "metric_id": {"type": "integer", "minimum": 1, "maximum": 9007199254740991}, "rule": {"$ref": "#/components/schemas/Rule"},
                  "webhook": {"$ref": "#/components/schemas/Webhook"}
                },
                "required": ["metric_id", "rule", "webhook"],
                "additionalProperties": false
              },
              "SubscriptionChange": {
                "type": "object",
                "properties": {"paused": {"type": "boolean"}, "rule": {"$ref": "#/components/schemas/Rule"}},
                "minProperties": 1,
                "additionalProperties": false
              },
              "Subscription": {
                "type": "object",
                "properties": {
                  "id": {"type": "integer", "minimum": 1},
                  "metric_id": {"type": "integer", "minimum": 1},
                  "rule": {"$ref": "#/components/schemas/Rule"},
                  "webhook": {"$ref": "#/components/schemas/Webhook"},
                  "state": {"enum": ["ok", "firing"]},
                  "paused": {"type": "boolean"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "updated_at": {"type": "string", "format": "date-time"},
                  "secret": {"type": "string", "description": "whsec_ and base64: the key of the webhooks' signatures. Only in the answer to POST /subscriptions: shown once."}
                },
                "required": ["id", "metric_id", "rule", "webhook", "state", "paused", "created_at", "updated_at"],
                "additionalProperties": false
              },
              "SubscriptionList": {
                "type": "object",
                "properties": {
                  "subscriptions": {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}},
                  "next_after": {"type": ["integer", "null"], "description": "The after of the next page; null on the last."}
                },
                "required": ["subscriptions", "next_after"],
                "additionalProperties": false
              },
              "Event": {
                "type": "object",
                "description": "An alert event in the outbox. Its webhook's body is {\"type\", \"timestamp\" (created_at), \"data\"}; its webhook-id header is evt_ and the id.",
                "properties": {
                  "id": {"type": "integer", "minimum": 1},
                  "type": {"enum": ["alert.firing", "alert.resolved"]},
                  "episode": {"type": "integer", "minimum": 1, "description": "Which firing of the subscription: its resolution has the same."},
                  "status": {"enum": ["pending", "delivered", "dead", "suppressed"], "description": "suppressed: within the cooldown of the last firing sent, so not sent."},
                  "sample_time": {"type": "string", "format": "date-time"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "attempts": {"type": "integer", "minimum": 0},
                  "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                  "delivered_at": {"type": ["string", "null"], "format": "date-time"},
                  "last_error": {"type": ["string", "null"]},
                  "data": {"$ref": "#/components/schemas/EventData"}
                },
                "required": ["id", "type", "episode", "status", "sample_time", "created_at", "attempts", "next_attempt_at", "delivered_at", "last_error", "data"],
                "additionalProperties": false
              },
              "EventData": {
                "type": "object",
                "description": "What the webhook carries: the subscription, the metric, the rule, the value judged and, for the deviation rule, the window's m, D and sample count, for the change rule its reference value and the change in percent.",
                "properties": {
                  "subscription_id": {"type": "integer"}, "episode": {"type": "integer"}, "metric_id": {"type": "integer"},
                  "ticker": {"type": "string"}, "metric_type": {"$ref": "#/components/schemas/MetricType"},
                  "rule": {"$ref": "#/components/schemas/Rule"}, "value": {"type": "number"},
                  "m": {"type": "number"}, "D": {"type": "number", "minimum": 0}, "samples": {"type": "integer", "minimum": 0},
                  "reference": {"type": "number"}, "change_percent": {"type": "number"},
                  "sample_time": {"type": "string", "format": "date-time"}
                },
                "required": ["subscription_id", "episode", "metric_id", "ticker", "metric_type", "rule", "value", "sample_time"],
                "additionalProperties": false
              },
              "EventList": {
                "type": "object",
                "properties": {
                  "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                  "next_before": {"type": ["integer", "null"], "description": "The before of the next page; null on the last."}
                },
                "required": ["events", "next_before"],
                "additionalProperties": false
              },
              "Delivery": {
                "type": "object",
                "properties": {
                  "id": {"type": "integer", "minimum": 1},
                  "event_id": {"type": "integer", "minimum": 1},
                  "attempted_at": {"type": "string", "format": "date-time"},
                  "status_code": {"type": ["integer", "null"], "description": "The receiver's answer; null when it gave none (a timeout, a refused connection)."},
                  "latency_ms": {"type": "number", "minimum": 0},
                  "error": {"type": ["string", "null"]},
                  "outcome": {"enum": ["delivered", "retry", "dead", "gone"], "description": "gone: the receiver answered 410 and the subscription was paused."},
                  "next_attempt_at": {"type": ["string", "null"], "format": "date-time"}
                },
                "required": ["id", "event_id", "attempted_at", "status_code", "latency_ms", "error", "outcome", "next_attempt_at"],
                "additionalProperties": false
              },
              "DeliveryList": {
                "type": "object",
                "properties": {
                  "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
                  "next_before": {"type": ["integer", "null"], "description": "The before of the next page; null on the last."}
                },
                "required": ["deliveries", "next_before"],
                "additionalProperties": false
              },
              "MetricType": {"type": "string", "enum": ["price", "volume"]},
              "Window": {"type": "string", "enum": ["1h", "24h", "7d"]},
              "Measure": {"type": "string", "enum": ["stddev", "cv", "log_return_volatility"]},
              "StandardDeviation": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "Sample standard deviation (n-1) of the values; null with fewer than two samples."
              },
              "CoefficientOfVariation": {
                "type": ["number", "null"],
                "description": "standard_deviation / mean; null when either is null or the mean is 0."
              },
              "LogReturnVolatility": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "Sample standard deviation of ln(v[i] / v[i-1]) over consecutive samples; null with fewer than three samples or when any value is 0 or negative."
              },
              "Ticker": {
                "type": "string",
                "pattern": "^[A-Z0-9_]+:[A-Z0-9]+(-[A-Z0-9]+)?$",
                "description": "EXCHANGE:PAIR, e.g. KRAKEN:BTCUSD; BASE-QUOTE where the joined pair would be ambiguous (BITSTAMP:BTC-MXN)."
              },
              "MetricList": {
                "type": "object",
                "required": ["metrics"],
                "additionalProperties": false,
                "properties": {
                  "metrics": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["id", "metric_type", "ticker"],
                      "additionalProperties": false,
                      "properties": {
                        "id": {"type": "integer", "minimum": 1},
                        "metric_type": {"$ref": "#/components/schemas/MetricType"},
                        "ticker": {"$ref": "#/components/schemas/Ticker"}
                      }
                    }
                  }
                }
              },
              "MetricDetail": {
                "type": "object",
                "required": [
                  "id", "ticker", "metric_type", "metric_24h_history", "standard_deviation", "metric_rank",
                  "coefficient_of_variation", "log_return_volatility", "window", "samples"
                ],
                "additionalProperties": false,
                "properties": {
                  "window": {
                    "type": "string",
                    "enum": ["1h", "24h", "7d", "custom"],
                    "description": "The window asked for, or custom for from and to."
                  },
                  "from": {"type": "string", "format": "date-time", "description": "Only for a custom range: its start."},
                  "to": {"type": "string", "format": "date-time", "description": "Only for a custom range: its end."},
                  "coefficient_of_variation": {"$ref": "#/components/schemas/CoefficientOfVariation"},
                  "log_return_volatility": {"$ref": "#/components/schemas/LogReturnVolatility"},
                  "id": {"type": "integer", "minimum": 1},
                  "ticker": {"$ref": "#/components/schemas/Ticker"},
                  "metric_type": {"$ref": "#/components/schemas/MetricType"},
                  "metric_24h_history": {
                    "type": "array",
                    "description": "Every sample of the window (now minus its length <= timestamp) or range, ascending by time, downsampled when max_points asks. Named as in the original whatever the window.",
                    "items": {
                      "type": "object",
                      "required": ["timestamp", "value"],
                      "additionalProperties": false,
                      "properties": {
                        "timestamp": {"type": "string", "format": "date-time", "description": "RFC 3339 in UTC, ending in Z."},
                        "value": {"type": "number", "minimum": 0}
                      }
                    }
                  },
                  "standard_deviation": {"$ref": "#/components/schemas/StandardDeviation"},
                  "samples": {"type": "integer", "minimum": 0, "description": "How many samples the statistics are over: the window's or range's, before max_points."},
                  "metric_rank": {
                    "type": ["string", "null"],
                    "pattern": "^[0-9]+/[0-9]+$",
                    "description": "k/n: position by standard deviation ascending (ties by id) among metrics of the same type with a standard deviation over the same window; null without one, and for a custom range."
                  }
                }
              },
              "Overview": {
                "type": "object",
                "required": ["window", "metrics"],
                "additionalProperties": false,
                "properties": {
                  "window": {"$ref": "#/components/schemas/Window"},
                  "metrics": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "id", "ticker", "metric_type", "value", "timestamp", "change_1h", "change_24h", "standard_deviation",
                        "coefficient_of_variation", "log_return_volatility", "rank", "samples", "sparkline"
                      ],
                      "additionalProperties": false,
                      "properties": {
                        "id": {"type": "integer", "minimum": 1},
                        "ticker": {"$ref": "#/components/schemas/Ticker"},
                        "metric_type": {"$ref": "#/components/schemas/MetricType"},
                        "value": {"type": ["number", "null"], "description": "The newest sample's value (within 7 days); null without one."},
                        "timestamp": {"type": ["string", "null"], "format": "date-time", "description": "The newest sample's time."},
                        "change_1h": {"type": ["number", "null"], "description": "Percent change from the newest sample at or before an hour ago; null without one, or when it was 0."},
                        "change_24h": {"type": ["number", "null"], "description": "The same over a day."},
                        "standard_deviation": {"$ref": "#/components/schemas/StandardDeviation"},
                        "coefficient_of_variation": {"$ref": "#/components/schemas/CoefficientOfVariation"},
                        "log_return_volatility": {"$ref": "#/components/schemas/LogReturnVolatility"},
                        "rank": {"type": ["string", "null"], "pattern": "^[0-9]+/[0-9]+$", "description": "As metric_rank."},
                        "samples": {"type": "integer", "minimum": 0, "description": "Samples in the window."},
                        "sparkline": {"type": "array", "maxItems": 24, "items": {"type": "number"}, "description": "The newest sample at each of 24 evenly spaced moments of the window, oldest first, each sample once."}
                      }
                    }
                  }
                }
              },
              "AlertStreamEvent": {
                "type": "object",
                "description": "The data of an alert event of /stream: the webhook's body (type, timestamp, data) with the event's id, its status when recorded, and its subscription.",
                "required": ["type", "timestamp", "data", "event_id", "status", "subscription_id"],
                "additionalProperties": false,
                "properties": {
                  "type": {"type": "string", "enum": ["alert.firing", "alert.resolved"]},
                  "timestamp": {"type": "string", "format": "date-time"},
                  "data": {"$ref": "#/components/schemas/EventData"},
                  "event_id": {"type": "string", "pattern": "^evt_[0-9]+$"},
                  "status": {"type": "string", "enum": ["pending", "delivered", "dead", "suppressed"]},
                  "subscription_id": {"type": "integer", "minimum": 1}
                }
              },
              "Readiness": {
                "type": "object",
                "required": ["status"],
                "additionalProperties": false,
                "properties": {
                  "status": {"enum": ["ready", "degraded"]},
                  "unstored_cycles": {"type": "integer", "minimum": 1, "description": "With degraded: poll cycles waiting in memory for the database."},
                  "reason": {"type": "string", "description": "With degraded: why, in words."}
                }
              },
              "ResetEvent": {
                "type": "object",
                "description": "The data of a reset event: the client missed events (its Last-Event-ID is no longer kept, or is another instance's) and must reload what it shows.",
                "properties": {"reason": {"type": "string"}},
                "required": ["reason"]
              },
              "SampleEvent": {
                "type": "object",
                "description": "The data of a sample event of /stream: the sample, and its metric's statistics over the window as of the refresh that brought it.",
                "required": ["id", "ticker", "metric_type", "timestamp", "value", "window", "samples", "standard_deviation", "coefficient_of_variation", "log_return_volatility"],
                "additionalProperties": false,
                "properties": {
                  "id": {"type": "integer", "minimum": 1},
                  "ticker": {"$ref": "#/components/schemas/Ticker"},
                  "metric_type": {"$ref": "#/components/schemas/MetricType"},
                  "timestamp": {"type": "string", "format": "date-time"},
                  "value": {"type": "number"},
                  "window": {"$ref": "#/components/schemas/Window"},
                  "samples": {"type": "integer", "minimum": 0},
                  "standard_deviation": {"$ref": "#/components/schemas/StandardDeviation"},
                  "coefficient_of_variation": {"$ref": "#/components/schemas/CoefficientOfVariation"},
                  "log_return_volatility": {"$ref": "#/components/schemas/LogReturnVolatility"}
                }
              },
              "Ranking": {
                "type": "object",
                "required": ["metric_type", "window", "by", "total", "rankings"],
                "additionalProperties": false,
                "properties": {
                  "metric_type": {"$ref": "#/components/schemas/MetricType"},
                  "window": {"$ref": "#/components/schemas/Window"},
                  "by": {"$ref": "#/components/schemas/Measure"},
                  "total": {"type": "integer", "minimum": 0, "description": "How many metrics have the measure."},
                  "rankings": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["rank", "id", "ticker", "standard_deviation", "coefficient_of_variation", "log_return_volatility"],
                      "additionalProperties": false,
                      "properties": {
                        "rank": {"type": "integer", "minimum": 1, "description": "Position, counted as metric_rank counts."},
                        "id": {"type": "integer", "minimum": 1},
                        "ticker": {"$ref": "#/components/schemas/Ticker"},
                        "standard_deviation": {"$ref": "#/components/schemas/StandardDeviation"},
                        "coefficient_of_variation": {"$ref": "#/components/schemas/CoefficientOfVariation"},
                        "log_return_volatility": {"$ref": "#/components/schemas/LogReturnVolatility"}
                      }
                    }
                  }
                }
              },
              "PollStatus": {
                "type": "object",
                "required": ["interval_seconds", "last_cycle", "last_cycle_ms", "store_error", "tickers", "unstored_cycles", "upstreams"],
                "additionalProperties": false,
                "properties": {
                  "interval_seconds": {"type": "number"},
                  "last_cycle": {"type": ["string", "null"], "format": "date-time", "description": "The last cycle's timestamp; null before the first."},
                  "last_cycle_ms": {"type": ["integer", "null"], "description": "How long the last cycle took."},
                  "pollers": {"$ref": "#/components/schemas/Pollers"},
                  "store_error": {"type": ["string", "null"], "description": "Why the store refused the last write, while cycles wait for it; null when none wait."},
                  "unstored_cycles": {"type": "integer", "minimum": 0, "description": "Cycles polled but not stored yet because the store refuses writes (away, full, locked): kept in memory, at most 1000, and stored in order once it takes them."},
                  "tickers": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["ticker", "upstreams", "last_success", "last_upstream", "last_error", "consecutive_failures"],
                      "additionalProperties": false,
                      "properties": {
                        "ticker": {"$ref": "#/components/schemas/Ticker"},
                        "upstreams": {"type": "array", "items": {"type": "string"}, "description": "Upstreams in order of preference."},
                        "last_success": {"type": ["string", "null"], "format": "date-time"},
                        "last_upstream": {"type": ["string", "null"], "description": "The upstream that served the last success."},
                        "consecutive_failures": {"type": "integer", "minimum": 0},
                        "last_error": {
                          "type": ["object", "null"],
                          "required": ["at", "upstream", "kind", "reason"],
                          "additionalProperties": false,
                          "properties": {
                            "at": {"type": "string", "format": "date-time"},
                            "upstream": {"type": "string", "description": "The last upstream tried."},
                            "kind": {"type": "string", "description": "A stable label: timeout, unreachable, http_status, malformed_body, exchange_error, unknown_pair, invalid_value, wrong_pair, stale_quote, rate_limited, circuit_open."},
                            "reason": {"type": "string"}
                          }
                        }
                      }
                    }
                  },
                  "upstreams": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["name", "endpoint", "breaker", "consecutive_failures", "probe_at"],
                      "additionalProperties": false,
                      "properties": {
                        "name": {"type": "string"},
                        "endpoint": {"type": "string"},
                        "breaker": {"type": "string", "enum": ["closed", "open", "half_open"]},
                        "consecutive_failures": {"type": "integer", "minimum": 0},
                        "probe_at": {"type": ["string", "null"], "format": "date-time", "description": "When an open breaker lets its probe through."}
                      }
                    }
                  }
                }
              },
              "SharedPollStatus": {
                "type": "object",
                "required": ["pollers"],
                "additionalProperties": false,
                "properties": {"pollers": {"$ref": "#/components/schemas/Pollers"}}
              },
              "Pollers": {
                "type": "array",
                "description": "Every poller alive on the database and the tickers it holds, from the leases.",
                "items": {
                  "type": "object",
                  "required": ["id", "name", "seen_at", "expires_at", "tickers"],
                  "additionalProperties": false,
                  "properties": {
                    "id": {"type": "string", "description": "Unique per process start."},
                    "name": {"type": "string", "description": "host:pid."},
                    "seen_at": {"type": "string", "format": "date-time", "description": "Its last renewal, by the database's clock."},
                    "expires_at": {"type": "string", "format": "date-time", "description": "When its leases pass to others unless it renews."},
                    "tickers": {"type": "array", "items": {"$ref": "#/components/schemas/Ticker"}}
                  }
                }
              },
              "Status": {
                "type": "object",
                "required": ["status"],
                "additionalProperties": false,
                "properties": {"status": {"type": "string"}}
              },
              "Error": {
                "type": "object",
                "required": ["error"],
                "additionalProperties": false,
                "properties": {"error": {"type": "string", "description": "What was wrong and how to fix it."}}
              }
            }
          }
        }
        """#
}
