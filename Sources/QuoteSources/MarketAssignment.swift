import MetricsCore
import Synchronization

/// The markets a poller polls now, changed between cycles by ``Poller/assign(_:)``, and the
/// tickers new to it since the last look, whose gaps are checked before their first cycle.
final class MarketAssignment: Sendable {
    private struct State {
        var markets: [PollPlan.Market]
        var added: [Ticker]
    }

    private let state: Mutex<State>

    init(_ markets: [PollPlan.Market]) {
        state = Mutex(State(markets: markets, added: markets.map(\.ticker)))
    }

    var markets: [PollPlan.Market] { state.withLock { $0.markets } }

    func market(of ticker: Ticker) -> PollPlan.Market? {
        state.withLock { $0.markets.first { $0.ticker == ticker } }
    }

    func replace(with markets: [PollPlan.Market]) {
        state.withLock { state in
            let before = Set(state.markets.map(\.ticker))
            let new = markets.map(\.ticker).filter { !before.contains($0) }
            let kept = Set(markets.map(\.ticker))
            state.added = state.added.filter { kept.contains($0) } + new
            state.markets = markets
        }
    }

    /// The markets to poll in the next cycle, and those of their tickers added since the last
    /// call, taken together: a ticker assigned meanwhile waits for the next call, so it is never
    /// polled before its gaps were looked for.
    func take() -> (markets: [PollPlan.Market], added: [Ticker]) {
        state.withLock { state in
            defer { state.added = [] }
            return (state.markets, state.added)
        }
    }

    /// Hands back added tickers whose gaps could not be looked for (the store could not be read),
    /// for the next call to return them again: those still assigned.
    func returnAdded(_ tickers: [Ticker]) {
        state.withLock { state in
            let assigned = Set(state.markets.map(\.ticker))
            let waiting = Set(state.added)
            state.added += tickers.filter { assigned.contains($0) && !waiting.contains($0) }
        }
    }
}
