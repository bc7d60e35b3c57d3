import QuoteSources

extension Poller {
    /// Fills the gaps a start finds and waits for it, as `run()` does beside its first cycles.
    func backfillHistory() async {
        for gap in await startupGaps() { await backfill(gap) }
    }
}
