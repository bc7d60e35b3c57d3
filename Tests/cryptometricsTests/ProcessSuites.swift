import Testing

/// The suites that run the binary as processes, one suite at a time. Each starts debug builds of
/// the service, pollers, importers, a browser or a database relay, and all of them at once asked
/// about twice what a 2-core machine has for a minute and more: every wait in the whole suite,
/// in-process ones too, then became a bet on the machine. In turn, each has the machine's spare
/// room beside the in-process suites.
@Suite(.serialized) enum ProcessSuites {}
