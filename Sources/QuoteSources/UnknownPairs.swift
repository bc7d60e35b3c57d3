import MetricsCore
import Synchronization

/// How an adapter asks for many pairs on an exchange where one unknown pair fails a whole
/// request (Kraken, Binance), and the pairs the exchange has said it does not list.
///
/// A batch refused for an unknown pair is asked again pair by pair, so that the culprit is found
/// and the others still get their quotes; the culprit is remembered and asked alone from then on
/// (so that a pair listed later comes back), while the rest keep their batch. Without it, one
/// misspelled pair would cost a failed batch and a request per pair every cycle.
final class UnknownPairs: Sendable {
    private let pairs = Mutex<Set<Ticker>>([])

    /// A request for some tickers: a quote or a reason for each, or one error for all of them.
    typealias Ask = @Sendable ([Ticker]) async throws(UpstreamError) -> [Ticker: Result<Quote, UpstreamError>]

    /// The quotes of `tickers`, asked in batches of at most `batchSize` (known-unknown pairs each
    /// alone), at most `concurrency` requests at once.
    func quotes(
        for tickers: [Ticker], batchSize: Int, concurrency: Int, ask: @escaping Ask
    ) async -> [Ticker: Result<Quote, UpstreamError>] {
        let unknown = pairs.withLock { $0 }
        let batch = tickers.filter { !unknown.contains($0) }
        let alone = tickers.filter { unknown.contains($0) }
        let chunks =
            stride(from: 0, to: batch.count, by: batchSize).map { Array(batch[$0..<min($0 + batchSize, batch.count)]) }
            + alone.map { [$0] }
        let answers = await boundedConcurrentMap(chunks, limit: concurrency) { chunk in
            await self.quotes(finding: chunk, concurrency: concurrency, ask: ask)
        }
        let results = answers.reduce(into: [Ticker: Result<Quote, UpstreamError>]()) { results, answer in
            results.merge(answer) { first, _ in first }
        }
        record(results.filter { alone.contains($0.key) })
        return results
    }

    /// One request for `tickers`; when it is refused for an unknown pair, each pair alone.
    private func quotes(finding tickers: [Ticker], concurrency: Int, ask: @escaping Ask) async -> [Ticker: Result<Quote, UpstreamError>] {
        do throws(UpstreamError) {
            return try await ask(tickers)
        } catch .unknownPair where tickers.count > 1 {
            let single = await boundedConcurrentMap(tickers, limit: concurrency) { ticker in
                (ticker, await self.quotes(finding: [ticker], concurrency: concurrency, ask: ask)[ticker]!)
            }
            let results = Dictionary(uniqueKeysWithValues: single)
            record(results)
            return results
        } catch {
            return Dictionary(uniqueKeysWithValues: tickers.map { ($0, .failure(error)) })
        }
    }

    /// Records what asking alone found: unknown pairs are remembered, listed ones forgotten.
    private func record(_ results: [Ticker: Result<Quote, UpstreamError>]) {
        pairs.withLock { set in
            for (ticker, result) in results {
                if case .failure(.unknownPair) = result { set.insert(ticker) } else { set.remove(ticker) }
            }
        }
    }
}
