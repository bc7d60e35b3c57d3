extension String {
    /// The URL without trailing slashes, so that paths can be appended with one.
    var trimmingTrailingSlash: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
