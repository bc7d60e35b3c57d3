// swift-tools-version:6.2
import PackageDescription

// The hot code's benchmarks, apart from the main package so that its test build does not compile
// the benchmark harness: `cd Benchmarks && swift package benchmark` (see docs/PERFORMANCE.md).
let package = Package(
    name: "cryptometrics-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "cryptometrics", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StatisticsBenchmarks",
            dependencies: [
                .product(name: "MetricsCore", package: "cryptometrics"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StatisticsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
