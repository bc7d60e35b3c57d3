import MetricsStore

extension LiveStatistics {
    /// Throws the API's 503 until the first load is done.
    func requireLoaded() throws(APIError) {
        guard isLoaded else {
            throw APIError(.serviceUnavailable, "The statistics are still loading from the database; retry in a few seconds.")
        }
    }
}
