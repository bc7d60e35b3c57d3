#if TSAN_VISIBLE_LOCKS
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Darwin)
        import Darwin
    #endif

    /// `Synchronization.Mutex` as ThreadSanitizer can see it, for the CI build under ThreadSanitizer
    /// only (`-DTSAN_VISIBLE_LOCKS`), where each module's `Mutex` names this type instead.
    ///
    /// Why: on Linux, `Mutex` waits on a futex from the uninstrumented Synchronization library, so
    /// ThreadSanitizer sees no order between two holders that met there and reports a race between
    /// two closures given to `withLock`: an 18-line program of 8 threads × 200,000 increments ends
    /// with exact counts and 6 such reports. A pthread mutex is intercepted, so behind this type a
    /// report is about code, never about the lock.
    public final class SanitizerVisibleMutex<Value>: @unchecked Sendable {
        private var value: Value
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

        public init(_ value: sending Value) {
            self.value = value
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value)
        }
    }

    typealias Mutex<Value> = SanitizerVisibleMutex<Value>
#endif
