import Benchmark
import MetricsCore

/// The work behind each request and each poll cycle, measured apart from HTTP and SQLite.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )
    let minute: Int64 = 60_000_000
    let start: Int64 = 1_764_000_000_000_000

    /// A day of samples a minute apart, a random walk near 90,000 with two decimals.
    func day(seed: UInt64, count: Int = 1_440) -> (timestamps: [Int64], values: [Double]) {
        var state = seed
        var level = 90_000.0
        var values: [Double] = []
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            level += Double(Int64(bitPattern: state >> 11) % 2_001 - 1_000) / 100
            values.append((level * 100).rounded() / 100)
        }
        return ((0..<count).map { start + Int64($0) * minute }, values)
    }

    Benchmark("Series: one sample into full 1h/24h/7d windows, then advance", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var series = MetricSeries()
        let history = day(seed: 1)
        series.insert(timestamps: history.timestamps, values: history.values)
        var next = history.timestamps.last!
        series.advance(to: Timestamp(microsecondsSince1970: next))
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            next += minute
            series.insert(timestamps: [next], values: [90_000 + Double(iteration % 100)])
            blackHole(series.advance(to: Timestamp(microsecondsSince1970: next)))
        }
    }

    Benchmark("Book: fold one cycle of 20,000 metrics and re-rank", configuration: .init(maxIterations: 50)) { benchmark in
        var book = StatisticsBook()
        let ticker = try! Ticker(parsing: "KRAKEN:BTCUSD")
        let metrics = (1...20_000).map { Metric(id: Int64($0), key: MetricKey(ticker: ticker, type: $0 % 2 == 0 ? .volume : .price)) }
        book.register(metrics)
        let history = day(seed: 2)
        for metric in metrics {
            book.insert(metric.id, timestamps: history.timestamps, values: history.values.map { $0 + Double(metric.id) })
        }
        var now = history.timestamps.last!
        book.advance(to: Timestamp(microsecondsSince1970: now))
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            now += minute
            for metric in metrics {
                book.insert(metric.id, timestamps: [now], values: [90_000 + Double((Int(metric.id) * 31 + iteration) % 997)])
            }
            book.advance(to: Timestamp(microsecondsSince1970: now))
        }
        blackHole(book.generation)
    }

    Benchmark("Ranking: rank of one metric among 20,000", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var index = RankingIndex()
        let changes: [(id: Int64, value: Double?)] = (1...20_000).map { (Int64($0), Double(($0 * 7_919) % 20_011)) }
        index.update(changes)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(index.rank(of: Int64(iteration % 20_000 + 1)))
        }
    }

    Benchmark("Text: a 1,440-sample history as RFC 3339 and Python floats") { benchmark in
        let history = day(seed: 3)
        var output = [UInt8](repeating: 0, count: 1_440 * 64)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var dates = RFC3339Writer()
            let written = output.withUnsafeMutableBufferPointer { buffer in
                var length = 0
                for (timestamp, value) in zip(history.timestamps, history.values) {
                    length += dates.write(timestamp, to: buffer.baseAddress! + length)
                    length += PythonFloat.write(value, to: buffer.baseAddress! + length)
                }
                return length
            }
            blackHole(written)
        }
    }

    Benchmark("Downsampling: 1,440 samples to 200 points") { benchmark in
        let history = day(seed: 4)
        let samples = SampleHistory(timestamps: history.timestamps[...], values: history.values[...])
        for _ in benchmark.scaledIterations {
            blackHole(Downsampling.largestTriangleThreeBuckets(samples, maxPoints: 200))
        }
    }

    Benchmark("JSON: parse a Zonda ticker answer for 1,000 markets") { benchmark in
        let items = (1...1_000).map { index in
            #""M\#(index)-USD":{"market":{"code":"M\#(index)-USD","first":{"currency":"M\#(index)","minOffer":"0.0000015","scale":8},"second":{"currency":"USD","minOffer":"0.1","scale":2}},"time":"1710328237549","highestBid":"\#(index).5","lowestAsk":"\#(index).7","rate":"\#(index).6","previousRate":"\#(index).1"}"#
        }
        let body = Array((#"{"status":"Ok","items":{"# + items.joined(separator: ",") + "}}").utf8)
        for _ in benchmark.scaledIterations {
            blackHole(try! JSONParser.parse(body))
        }
    }

    /// Ten detection cycles at 20,000 metrics polled every second, after five to warm up: each
    /// metric's new sample judged by its subscriptions, and each subscription's state moved.
    /// `rules` gives metric i's rules. A tenth of the figure is one cycle.
    func alertCycle(_ benchmark: Benchmark, rules: (Int) -> [AlertRule]) {
        let second: Int64 = 1_000_000
        let metrics = 20_000
        let conditions = (0..<metrics).map { rules($0).map(\.condition) }
        let subscriptionRules = (0..<metrics).map(rules)
        var judge = AlertJudge()
        var states = (0..<metrics).map { Array(repeating: AlertState(), count: rules($0).count) }
        var state: UInt64 = 7
        func price(_ metric: Int) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 90_000 + Double(metric % 100) + Double(Int64(bitPattern: state >> 11) % 2_001 - 1_000) / 100
        }
        // A full hour of history, a sample a second, in every window.
        let hour = (0..<3_600).map { start + Int64($0) * second }
        var now = hour.last!
        for metric in 0..<metrics where !judge.unseeded(Int64(metric), for: conditions[metric]).isEmpty {
            let seed = (hour, hour.map { _ in price(metric) })
            _ = judge.judge(
                AlertInput(
                    metricID: Int64(metric), timestamps: [now + second], values: [price(metric)], seeds: [.oneHour: seed]),
                by: conditions[metric])
        }
        now += second
        func cycle() {
            now += second
            let time = Timestamp(microsecondsSince1970: now)
            for metric in 0..<metrics {
                let value = price(metric)
                let input = AlertInput(
                    metricID: Int64(metric), timestamps: [now], values: [value], references: [.oneHour: [value * 0.999]])
                let verdicts = judge.judge(input, by: conditions[metric])
                for (index, verdict) in verdicts.enumerated() {
                    blackHole(states[metric][index].observe(holds: verdict[0].holds, at: time, rule: subscriptionRules[metric][index]))
                }
            }
        }
        // The first cycles after building 20,000 windows run cold; the steady state is the figure.
        for _ in 0..<5 { cycle() }
        benchmark.startMeasurement()
        for _ in 0..<10 { cycle() }
    }

    Benchmark(
        "Alerts: ten cycles, 20,000 metrics with a deviation rule each (1h windows of 3,600 samples)",
        configuration: .init(maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let rule = try! AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 10))
        alertCycle(benchmark) { _ in [rule] }
    }

    Benchmark(
        "Alerts: ten cycles, 20,000 metrics with one rule of some kind each",
        configuration: .init(maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let rules = [
            try! AlertRule(.deviation(k: 3, window: .oneHour, minSamples: 10)),
            try! AlertRule(.threshold(.above, 90_050)),
            try! AlertRule(.change(window: .oneHour, percent: 1, direction: .either)),
        ]
        alertCycle(benchmark) { [rules[$0 % 3]] }
    }
}
