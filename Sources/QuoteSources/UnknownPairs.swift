import MetricsCore
import Synchronization

/// The pairs an exchange has said it does not list, for exchanges where one unknown pair fails a
/// whole batch (Kraken, Binance). Without it, one misspelled pair would cost a failed batch and a
/// request per pair every cycle; with it, known-unknown pairs are asked alone (so that a pair
/// listed later comes back) and the rest keep their one batch.
final class UnknownPairs: Sendable {
    private let pairs = Mutex<Set<Ticker>>([])

    /// `tickers` split into those to batch and those to ask alone.
    func split(_ tickers: [Ticker]) -> (batch: [Ticker], alone: [Ticker]) {
        let unknown = pairs.withLock { $0 }
        return (tickers.filter { !unknown.contains($0) }, tickers.filter { unknown.contains($0) })
    }

    /// Records what asking alone found: unknown pairs are remembered, listed ones forgotten.
    func record(_ results: [Ticker: Result<Quote, UpstreamError>]) {
        pairs.withLock { set in
            for (ticker, result) in results {
                if case .failure(.unknownPair) = result { set.insert(ticker) } else { set.remove(ticker) }
            }
        }
    }
}
