import Testing

@testable import QuoteSources

/// Text from an exchange reaches the logs and `/status` only through an error's description:
/// bounded in length, with no control character that could forge a log line or drive a terminal.
@Suite struct UpstreamErrorTests {
    @Test func anExchangesTextIsShownAsItIsWhenShortAndPlain() {
        #expect(UpstreamError.exchangeError("EQuery:Unknown asset pair").description == "exchange error: EQuery:Unknown asset pair")
        #expect(UpstreamError.httpStatus(503, body: "maintenance").description == "HTTP 503: maintenance")
    }

    @Test func aLineBreakOrEscapeFromAnExchangeCannotStartALogLine() {
        let forged = UpstreamError.exchangeError("busy\n2026-12-03T00:00:00+0000 critical cryptometrics: key leaked\r\u{1B}[2J\u{202E}")
        let shown = forged.description
        #expect(!shown.contains("\n") && !shown.contains("\r") && !shown.contains("\u{1B}") && !shown.contains("\u{202E}"))
        #expect(shown.contains("busy\\u{a}2026-12-03") && shown.contains("\\u{1b}[2J") && shown.contains("\\u{202e}"), "\(shown)")
        let answered = UpstreamError.wrongPair(asked: "XBTUSD", answered: "ETH\nUSD").description
        #expect(answered == "asked for XBTUSD but the answer is for ETH\\u{a}USD")
    }

    @Test func aLongMessageIsCutWithItsLengthSaid() {
        let message = String(repeating: "x", count: 100_000)
        for error in [UpstreamError.exchangeError(message), .malformedBody(message), .invalidValue(field: "price", reason: message)] {
            let shown = error.description
            #expect(shown.count < UpstreamError.shownCharacters + 60, "\(shown.count) characters")
            #expect(shown.hasSuffix("… (100000 bytes)"))
        }
    }
}
