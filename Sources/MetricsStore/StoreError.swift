/// Why a store could not be used, in terms a user can act on.
public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case corruptRow(table: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the database \(path): \(reason)"
        case .corruptRow(let table, let reason):
            "the database holds a row this version cannot read (table \(table)): \(reason)"
        }
    }
}
