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

    /// The tickers added since the last call.
    func takeAdded() -> [Ticker] {
        state.withLock { state in
            defer { state.added = [] }
            return state.added
        }
    }
}
