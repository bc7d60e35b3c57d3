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
            "version": "1.0.0",
            "description": "Cryptocurrency price and volume metrics polled from exchanges, with 24-hour history, sample standard deviation and rankings. GET /metrics and GET /metrics/{id} are compatible with the original Flask app."
          },
          "paths": {
            "/metrics": {
              "get": {
                "operationId": "listMetrics",
                "summary": "Every tracked metric, ascending by id.",
                "responses": {
                  "200": {
                    "description": "The metrics.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricList"}}}
                  }
                }
              }
            },
            "/metrics/{id}": {
              "get": {
                "operationId": "getMetric",
                "summary": "One metric's last 24 hours: history, sample standard deviation and rank among metrics of the same type.",
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "description": "A metric id from GET /metrics.",
                    "schema": {"type": "integer"}
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The metric's report.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricDetail"}}}
                  },
                  "400": {
                    "description": "The id is not an integer.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No metric has this id.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/healthz": {
              "get": {
                "operationId": "health",
                "summary": "Liveness: the process answers.",
                "responses": {
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
                "summary": "Readiness: the database can be read.",
                "responses": {
                  "200": {
                    "description": "Ready to serve.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}
                  },
                  "503": {
                    "description": "The database cannot be read.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openAPIDocument",
                "summary": "This document.",
                "responses": {
                  "200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}}
                }
              }
            }
          },
          "components": {
            "schemas": {
              "MetricType": {"type": "string", "enum": ["price", "volume"]},
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
                "required": ["id", "ticker", "metric_type", "metric_24h_history", "standard_deviation", "metric_rank"],
                "additionalProperties": false,
                "properties": {
                  "id": {"type": "integer", "minimum": 1},
                  "ticker": {"$ref": "#/components/schemas/Ticker"},
                  "metric_type": {"$ref": "#/components/schemas/MetricType"},
                  "metric_24h_history": {
                    "type": "array",
                    "description": "Every sample with now-24h <= timestamp <= now, ascending by time.",
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
                  "standard_deviation": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "description": "Sample standard deviation (n-1) of the history's values; null with fewer than two samples."
                  },
                  "metric_rank": {
                    "type": ["string", "null"],
                    "pattern": "^[0-9]+/[0-9]+$",
                    "description": "k/n: position by standard deviation ascending (ties by id) among metrics of the same type with a standard deviation over the same window; null without one."
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
