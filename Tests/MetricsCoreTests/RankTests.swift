import MetricsCore
import Testing

@Suite struct RankTests {
    @Test func ranksTheOriginalsExample() throws {
        let steady = try #require(RunningStatistics([1, 2, 3, 4]).sampleStandardDeviation)
        let wild = try #require(RunningStatistics([99, 106, 300, 5]).sampleStandardDeviation)
        #expect(Rank.of(1, among: [1: steady, 2: wild])?.description == "1/2")
        #expect(Rank.of(2, among: [1: steady, 2: wild])?.description == "2/2")
    }

    @Test func breaksTiesByID() {
        let deviations: [Int64: Double] = [7: 1.5, 3: 1.5, 5: 0.2, 9: 4]
        #expect(Rank.of(5, among: deviations) == Rank(position: 1, count: 4))
        #expect(Rank.of(3, among: deviations) == Rank(position: 2, count: 4))
        #expect(Rank.of(7, among: deviations) == Rank(position: 3, count: 4))
        #expect(Rank.of(9, among: deviations) == Rank(position: 4, count: 4))
    }

    @Test func isAbsentWithoutADeviation() {
        #expect(Rank.of(1, among: [2: 0.5]) == nil)
    }
}
