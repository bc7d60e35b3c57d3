import ArgumentParser
import Foundation
import MetricsCore
import MetricsStore

/// `cryptometrics keys`: the API keys that open the write endpoints (subscriptions).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke the API keys that open the write endpoints.",
        discussion: """
            Reading market data needs no key. Writes need Authorization: Bearer KEY. Only a hash of each \
            key is stored, so a key is shown once, when it is made.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key and print it, alone, on standard output: KEY=$(cryptometrics keys create --name ci).")

        @Option(help: "What the key is for: 1 to 64 letters, digits, '.', '_' or '-'; unique.")
        var name: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let secret = APIKeySecret.generate()
            let key = try await withKeyStore(store) { keys in
                try await keys.createKey(name: name, hash: secret.hash, at: .now)
            }
            print(secret.text)
            printError("created key \"\(key.name)\"; it is shown once: keep it now")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: name, created, revoked (never the keys themselves).")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let keys = try await withKeyStore(store) { keys in try await keys.keys() }
            print("name\tcreated\trevoked")
            for key in keys {
                print("\(key.name)\t\(key.createdAt.rfc3339)\t\(key.revokedAt?.rfc3339 ?? "-")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it opens nothing from now on, in every instance.")

        @Argument(help: "The key's name.")
        var name: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let revoked = try await withKeyStore(store) { keys in try await keys.revokeKey(named: name, at: .now) }
            guard revoked != nil else {
                printError("no active key named \"\(name)\" (see cryptometrics keys list)")
                throw ExitCode.failure
            }
            printError("revoked key \"\(name)\"")
        }
    }
}

/// Opens the configured store for a key command; a refused name is a usage error, not a crash.
private func withKeyStore<Result: Sendable>(
    _ options: StoreOptions, _ body: (any APIKeyStore) async throws -> Result
) async throws -> Result {
    let settings = try loadSettings(options.values)
    let logger = bootstrapLogging(settings)
    do {
        return try await withStore(settings, logger: logger, polling: false) { store in
            guard let keys = store as? any APIKeyStore else {
                preconditionFailure("every store keeps API keys")
            }
            return try await body(keys)
        }
    } catch let error as APIKeyError {
        printError("\(error)")
        throw ExitCode.validationFailure
    }
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
