import Foundation
import MetricsCore

/// The overview as an HTML table, written into the dashboard's page by the server, so that the
/// markets can be read (sorted by any column, a page at a time, with plain links) without
/// JavaScript. The script replaces it with its live table, keeping the same markup.
struct OverviewTable {
    /// What a reader asked for in the page's query string.
    struct Query: Hashable, Sendable {
        var window = StatisticsWindow.default
        var sort = Column.ticker
        var descending = false
        var page = 1

        /// The query string that asks for this, with the window left out when it is the default.
        var queryString: String {
            var parts = ["sort=\(sort.rawValue)", "order=\(descending ? "desc" : "asc")"]
            if window != .default { parts.append("window=\(window.rawValue)") }
            if page > 1 { parts.append("page=\(page)") }
            return parts.joined(separator: "&amp;")
        }
    }

    enum Order: String, CaseIterable {
        case asc, desc
    }

    /// The table's columns, by the name `?sort=` takes.
    enum Column: String, CaseIterable, Sendable {
        case ticker
        case metricType = "metric_type"
        case value
        case changeOverHour = "change_1h"
        case changeOverDay = "change_24h"
        case standardDeviation = "stddev"
        case coefficientOfVariation = "cv"
        case logReturnVolatility = "log_return_volatility"
        case rank

        var title: String {
            switch self {
            case .ticker: "Ticker"
            case .metricType: "Type"
            case .value: "Value"
            case .changeOverHour: "1h"
            case .changeOverDay: "24h"
            case .standardDeviation: "Std dev"
            case .coefficientOfVariation: "CV"
            case .logReturnVolatility: "Log-return vol."
            case .rank: "Rank"
            }
        }

        /// The field name the script and the tests read a cell by (`data-field`).
        var field: String {
            switch self {
            case .standardDeviation: "standard_deviation"
            case .coefficientOfVariation: "coefficient_of_variation"
            default: rawValue
            }
        }
    }

    /// Fifty rows keep a full page, with its script and style, under 150 KB.
    static var rowsPerPage: Int { 50 }

    let query: Query
    let summaries: [MetricSummary]

    /// The section, in the markup the dashboard's script and style expect.
    var html: String {
        let sorted = summaries.sorted(by: ordering)
        let pages = max(1, (sorted.count + Self.rowsPerPage - 1) / Self.rowsPerPage)
        let page = min(query.page, pages)
        let rows = sorted.dropFirst((page - 1) * Self.rowsPerPage).prefix(Self.rowsPerPage)
        var html = """
            <section id="overview" aria-labelledby="overview-heading">
            <h2 id="overview-heading">Markets</h2>
            <p class="overview-summary">\(summaries.count) metrics, window \(query.window.rawValue), \
            sorted by \(escape(query.sort.title)) \(query.descending ? "descending" : "ascending"). Page \(page) of \(pages).</p>
            <table class="metrics">
            <caption>Every tracked metric over the last \(query.window.rawValue)</caption>
            <thead><tr>
            """
        for column in Column.allCases {
            let isSorted = column == query.sort
            let sort = isSorted ? (query.descending ? "descending" : "ascending") : "none"
            var next = query
            next.sort = column
            next.descending = isSorted ? !query.descending : false
            next.page = 1
            html += "<th scope=\"col\" aria-sort=\"\(sort)\"><a href=\"/?\(next.queryString)\">\(escape(column.title))</a></th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for summary in rows { html += row(summary) }
        html += "</tbody>\n</table>\n"
        if pages > 1 {
            html += "<nav class=\"pages\" aria-label=\"Pages\">"
            var link = query
            if page > 1 {
                link.page = page - 1
                html += "<a rel=\"prev\" href=\"/?\(link.queryString)\">Previous</a> "
            }
            if page < pages {
                link.page = page + 1
                html += "<a rel=\"next\" href=\"/?\(link.queryString)\">Next</a>"
            }
            html += "</nav>\n"
        }
        return html + "</section>"
    }

    private func row(_ summary: MetricSummary) -> String {
        let id = summary.metric.id
        var html = "<tr data-metric-id=\"\(id)\">"
        html += "<td data-field=\"ticker\"><a href=\"/#/metric/\(id)\">\(escape(summary.metric.ticker.description))</a></td>"
        html += "<td data-field=\"metric_type\">\(summary.metric.type.rawValue)</td>"
        html += cell(.value, summary.latest?.value, Self.number)
        html += cell(.changeOverHour, summary.changeOverHour, Self.change)
        html += cell(.changeOverDay, summary.changeOverDay, Self.change)
        html += cell(.standardDeviation, summary.statistics.standardDeviation, Self.number)
        html += cell(.coefficientOfVariation, summary.statistics.coefficientOfVariation) { String(format: "%.2f%%", $0 * 100) }
        html += cell(.logReturnVolatility, summary.statistics.logReturnVolatility) { String(format: "%.3g", $0) }
        html += "<td data-field=\"rank\">\(summary.rank?.description ?? "—")</td>"
        return html + "</tr>\n"
    }

    /// A numeric cell: the exact value in `data-value` (as JSON writes it), shown formatted; a
    /// dash without `data-value` when there is none.
    private func cell(_ column: Column, _ value: Double?, _ format: (Double) -> String) -> String {
        guard let value, value.isFinite else { return "<td data-field=\"\(column.field)\">—</td>" }
        var classes = ""
        if column == .changeOverHour || column == .changeOverDay {
            classes = value > 0 ? " class=\"up\"" : value < 0 ? " class=\"down\"" : ""
        }
        var json = JSONWriter(capacity: 32)
        json.float(value)
        return "<td data-field=\"\(column.field)\" data-value=\"\(json.text)\"\(classes)>\(format(value))</td>"
    }

    private static func number(_ value: Double) -> String {
        abs(value) >= 1 ? String(format: "%.2f", value) : String(format: "%.6g", value)
    }

    private static func change(_ value: Double) -> String {
        value > 0 ? String(format: "+%.2f%%", value) : value < 0 ? String(format: "−%.2f%%", -value) : "0.00%"
    }

    /// Ascending or descending by the sorted column, metrics without a value last either way, and
    /// by id among equals so that pages never overlap.
    private func ordering(_ left: MetricSummary, _ right: MetricSummary) -> Bool {
        func compare<Key: Comparable>(_ key: (MetricSummary) -> Key?) -> Bool? {
            switch (key(left), key(right)) {
            case (nil, nil): return nil
            case (nil, _): return false
            case (_, nil): return true
            case (let a?, let b?): return a == b ? nil : (a < b) != query.descending
            }
        }
        let decided: Bool? =
            switch query.sort {
            case .ticker: compare { $0.metric.ticker.description }
            case .metricType: compare { $0.metric.type.rawValue }
            case .value: compare { $0.latest?.value }
            case .changeOverHour: compare { $0.changeOverHour }
            case .changeOverDay: compare { $0.changeOverDay }
            case .standardDeviation: compare { $0.statistics.standardDeviation }
            case .coefficientOfVariation: compare { $0.statistics.coefficientOfVariation }
            case .logReturnVolatility: compare { $0.statistics.logReturnVolatility }
            case .rank: compare { $0.rank?.position }
            }
        return decided ?? (left.metric.id < right.metric.id)
    }

    private func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
