extension Double {
    /// At most two decimals, and none for a whole number (`60`, `0.5`, `1.25`), for logs.
    var shortDescription: String {
        let rounded = (self * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
