// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "cryptometrics",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cryptometrics", targets: ["cryptometrics"]),
        // For the benchmarks package in Benchmarks/, which measures the core's hot code.
        .library(name: "MetricsCore", targets: ["MetricsCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // Domain types and statistics: pure values and math, no I/O.
        .target(name: "MetricsCore"),
        // Alerts at work: the detector that judges new samples and records events in the store's
        // outbox, the dispatcher that delivers them as signed webhooks (Standard Webhooks), and the
        // guard on where webhooks may go.
        .target(
            name: "Alerting",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The store seam: the protocol every store implements, its change feed, the statistics
        // that follow it, and a store in memory for tests. No database here.
        .target(
            name: "MetricsStore",
            dependencies: [
                "MetricsCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded store: one SQLite file (GRDB).
        .target(
            name: "SQLiteStore",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The store for more than one machine: a PostgreSQL database (PostgresNIO).
        .target(
            name: "PostgresStore",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One adapter per upstream, the simulated source and the poller.
        .target(
            name: "QuoteSources",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Routes, JSON shapes and the OpenAPI document.
        .target(
            name: "MetricsAPI",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                "Alerting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                // The HTTP limits' channel handler (HTTPLimits.swift).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The dashboard's files, built into the binary: it serves them with nothing beside it.
            resources: [
                .embedInCode("Dashboard/dashboard.html"), .embedInCode("Dashboard/dashboard.css"),
                .embedInCode("Dashboard/dashboard.js"),
            ]
        ),
        // The executable: command line, configuration and service wiring.
        .executableTarget(
            name: "cryptometrics",
            dependencies: [
                "MetricsCore",
                "MetricsStore",
                "SQLiteStore",
                "PostgresStore",
                "QuoteSources",
                "Alerting",
                "MetricsAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Local stand-ins for the exchanges, speaking their wire formats on 127.0.0.1.
        .target(
            name: "FakeUpstream",
            dependencies: [
                "MetricsCore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/FakeUpstream"
        ),
        // The fake upstream as a program, for benchmarks and demos: `swift run fake-upstream --help`.
        .executableTarget(name: "fake-upstream", dependencies: ["FakeUpstream"], path: "Tests/FakeUpstreamServer"),
        // Helpers every test target shares: temporary directories, polling with a deadline, a
        // manual clock, running a server for a test's length.
        .target(
            name: "TestSupport",
            dependencies: [
                "MetricsCore", "PostgresStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "MetricsCoreTests",
            dependencies: ["MetricsCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        // The conformance suite every store passes, and the statistics that follow a store.
        .testTarget(
            name: "MetricsStoreTests",
            dependencies: [
                "MetricsCore", "MetricsStore", "SQLiteStore", "PostgresStore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What only the PostgreSQL store promises: its URL, its migrations, a feed in commit order.
        .testTarget(
            name: "PostgresStoreTests",
            dependencies: [
                "MetricsCore", "MetricsStore", "PostgresStore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // What only the SQLite store promises: its file, its schema, several processes on one file.
        .testTarget(
            name: "SQLiteStoreTests",
            dependencies: ["MetricsCore", "MetricsStore", "SQLiteStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "AlertingTests",
            dependencies: [
                "Alerting", "MetricsCore", "MetricsStore", "SQLiteStore", "FakeUpstream", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "QuoteSourcesTests",
            dependencies: [
                "MetricsCore", "MetricsStore", "QuoteSources", "FakeUpstream", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"]
        ),
        // The fake upstream's own tests: every wire format and every fault, over real HTTP.
        .testTarget(
            name: "FakeUpstreamTests",
            dependencies: [
                "FakeUpstream", "MetricsCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MetricsAPITests",
            dependencies: [
                "MetricsCore", "MetricsStore", "MetricsAPI", "Alerting", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "cryptometricsTests",
            dependencies: [
                "cryptometrics", "Alerting", "MetricsCore", "MetricsStore", "SQLiteStore", "PostgresStore", "QuoteSources",
                "FakeUpstream", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
