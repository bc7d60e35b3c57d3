#if TSAN_VISIBLE_LOCKS
    import MetricsCore

    /// Under ThreadSanitizer in CI, a lock it can see (``SanitizerVisibleMutex``).
    typealias Mutex<Value> = SanitizerVisibleMutex<Value>
#endif
