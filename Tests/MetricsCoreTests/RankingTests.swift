import MetricsCore
import PropertyBased
import Testing

@Suite struct RankingIndexTests {
    /// The rank by definition: one plus the metrics ahead (smaller value, or equal with a smaller id).
    private func naiveRank(of id: Int64, in values: [Int64: Double]) -> Rank? {
        guard let own = values[id] else { return nil }
        let ahead = values.count { $0.value < own || ($0.value == own && $0.key < id) }
        return Rank(position: ahead + 1, count: values.count)
    }

    @Test func agreesWithCountingAfterAnyUpdates() async {
        await propertyCheck(
            count: 200,
            input: Gen.int(in: 1...12).array(of: 1...80), Gen.int(in: 0...6).array(of: 1...80), Gen.int(in: 1...30)
        ) { ids, levels, batch in
            var index = RankingIndex()
            var values: [Int64: Double] = [:]
            var pending: [(id: Int64, value: Double?)] = []
            for (position, id) in ids.enumerated() {
                // Few distinct values, so that ties are common; level 0 takes the metric out.
                let level = levels[position % levels.count]
                let value: Double? = level == 0 ? nil : Double(level) / 2
                pending.append((Int64(id), value))
                if pending.count == batch || position == ids.count - 1 {
                    index.update(pending)
                    for change in pending { values[change.id] = change.value }
                    pending.removeAll()
                    for id in 1...12 {
                        #expect(index.rank(of: Int64(id)) == naiveRank(of: Int64(id), in: values))
                    }
                    #expect(index.count == values.count)
                    #expect(index.entries.map(\.id) == values.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key))
                }
            }
        }
    }

    @Test func ranksTheOriginalsExampleAndBreaksTiesByID() {
        var index = RankingIndex()
        let steady = Reference.standardDeviation([1, 2, 3, 4])
        let wild = Reference.standardDeviation([99, 106, 300, 5])
        index.update([(id: 1, value: steady), (id: 2, value: wild)] as [(id: Int64, value: Double?)])
        #expect(index.rank(of: 1)?.description == "1/2")
        #expect(index.rank(of: 2)?.description == "2/2")
        let changes: [(id: Int64, value: Double?)] = [(7, 1.5), (3, 1.5), (5, 0.2), (9, 4), (1, nil), (2, nil)]
        index.update(changes)
        #expect([5, 3, 7, 9].map { index.rank(of: $0)?.position } == [1, 2, 3, 4])
        #expect(index.rank(of: 1) == nil, "a metric without a value is not ranked")
    }

    @Test func leavesOutWhatIsNotFinite() {
        var index = RankingIndex()
        let changes: [(id: Int64, value: Double?)] = [(1, .nan), (2, .infinity), (3, 1)]
        index.update(changes)
        #expect(index.count == 1)
        #expect(index.rank(of: 1) == nil)
    }
}

@Suite struct StatisticsBookTests {
    let now = Timestamp(microsecondsSince1970: 1_764_072_000_000_000)
    let btc = try! Ticker(parsing: "KRAKEN:BTCUSD")
    let eth = try! Ticker(parsing: "KRAKEN:ETHUSD")

    private func minutes(_ values: [Double], endingAt end: Timestamp) -> (timestamps: [Int64], values: [Double]) {
        let stamps = values.indices.map { end.microsecondsSince1970 - Int64(values.count - 1 - $0) * 60_000_000 }
        return (stamps, values)
    }

    @Test func ranksPeersOfTheSameTypeOverTheSameWindow() {
        var book = StatisticsBook()
        book.register([
            Metric(id: 1, key: MetricKey(ticker: btc, type: .price)), Metric(id: 2, key: MetricKey(ticker: eth, type: .price)),
            Metric(id: 3, key: MetricKey(ticker: btc, type: .volume)),
        ])
        let steady = minutes([1, 2, 3, 4], endingAt: now)
        let wild = minutes([99, 106, 300, 5], endingAt: now)
        book.insert(1, timestamps: steady.timestamps, values: steady.values)
        book.insert(2, timestamps: wild.timestamps, values: wild.values)
        book.insert(3, timestamps: [now.microsecondsSince1970 - 60_000_000, now.microsecondsSince1970], values: [7, 7])
        // ETH was wild the day before: outside the 24-hour window, but inside the 7-day one.
        book.insert(2, timestamps: [now.microsecondsSince1970 - 2 * 86_400_000_000], values: [1_000_000])
        book.advance(to: now)

        #expect(book.report(of: 1, window: .oneDay)?.rank?.description == "1/2", "volume metrics are not peers of a price")
        #expect(book.report(of: 2, window: .oneDay)?.rank?.description == "2/2")
        #expect(book.report(of: 3, window: .oneDay)?.rank?.description == "1/1")
        expectClose(book.report(of: 2, window: .oneDay)?.statistics.standardDeviation, Reference.standardDeviation(wild.values), "24h")
        expectClose(
            book.report(of: 2, window: .sevenDays)?.statistics.standardDeviation,
            Reference.standardDeviation([1_000_000] + wild.values), "7d")
        #expect(book.report(of: 9, window: .oneDay) == nil)

        let byCV = book.ranking(StatisticsBook.RankingKey(type: .price, window: .oneDay, measure: .coefficientOfVariation))
        let cv = { (id: Int64) in book.statistics(of: id, window: .oneDay).coefficientOfVariation ?? .nan }
        #expect(byCV.entries.map(\.id) == [1, 2].sorted { cv($0) < cv($1) })
        #expect(cv(1) < cv(2))
    }

    @Test func theGenerationMovesWhenAnswersChange() {
        var book = StatisticsBook()
        book.register([Metric(id: 1, key: MetricKey(ticker: btc, type: .price))])
        book.advance(to: now)
        let empty = book.generation
        book.advance(to: now)
        #expect(book.generation == empty, "nothing changed")
        book.insert(1, timestamps: [now.microsecondsSince1970], values: [5])
        book.advance(to: now)
        #expect(book.generation > empty, "a sample arrived")
        let one = book.generation
        book.advance(to: now.adding(seconds: 3_601))
        #expect(book.generation > one, "the sample left the 1-hour window")
        #expect(book.report(of: 1, window: .oneHour)?.history.isEmpty == true)
        #expect(book.report(of: 1, window: .oneDay)?.history.count == 1)
        #expect(StatisticsBook(generationAfter: book.generation).generation > book.generation)
    }
}
