import { Command, Options, Prompt } from "@effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { BadInput, Failed } from "../CliError"
import * as Connection from "../Connection"
import * as Credentials from "../Credentials"
import * as EmbeddedServer from "../EmbeddedServer"

/** Where `pnpm start` listens by default: the server an embedded dev token is stored for. */
const startAddress = "http://127.0.0.1:8000"

const options = {
  url: Options.text("url").pipe(
    Options.withDescription(`The server to log in to (with --embedded: where \`pnpm start\` serves, ${startAddress})`),
    Options.withFallbackConfig(Connection.urlConfig),
    Options.optional
  ),
  token: Connection.options.token,
  embedded: Options.boolean("embedded").pipe(
    Options.withDescription("Store the dev token of this clone's embedded service (the one `pnpm start` prints)")
  ),
  dataDir: Connection.options.dataDir
}

const readStdin = Effect.promise(async () => {
  const chunks: Array<Buffer> = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString("utf8").trim()
})

/** The token from --token / SCRIBE_TOKEN, else typed at a hidden prompt, else read from stdin. */
const askToken = (given: Option.Option<string>) =>
  Option.isSome(given)
    ? Effect.succeed(given.value)
    : process.stdin.isTTY === true
      ? Effect.map(Prompt.hidden({ message: "Token (input hidden)" }), Redacted.value)
      : readStdin

const store = (url: string, token: string) =>
  Effect.gen(function* () {
    const file = yield* Credentials.save(url, token)
    yield* Effect.sync(() =>
      process.stdout.write(
        `Logged in to ${Credentials.normaliseUrl(url)}; the token is stored in ${file} (owner-only).\n`
      )
    )
  })

/** `scribe login`: checks a token against the server and stores it (or stores the embedded service's dev token). */
export const loginCommand = Command.make("login", options, (input) =>
  Effect.gen(function* () {
    if (input.embedded) {
      const dataDir = EmbeddedServer.resolveDataDir(Option.getOrUndefined(input.dataDir))
      if (dataDir === "memory") {
        return yield* new BadInput({
          message: "The dev token of an in-memory service dies with it: pick a --data-dir."
        })
      }
      const url = Option.getOrElse(input.url, () => startAddress)
      const token = yield* Effect.scoped(
        Effect.flatMap(
          EmbeddedServer.start({ dataDir, onStarting: (message) => process.stderr.write(`${message}\n`) }),
          (server) =>
            Option.match(server.token, {
              onNone: () =>
                Effect.fail(
                  new BadInput({ message: "The embedded service uses Supabase auth here, so it prints no dev token." })
                ),
              onSome: Effect.succeed
            })
        )
      )
      yield* store(url, token)
      yield* Effect.sync(() =>
        process.stdout.write(
          `It is the dev token of ${dataDir}, valid for 30 days while ${dataDir}/dev-jwt-secret is kept: ` +
            `run \`pnpm start\` and use --url ${Credentials.normaliseUrl(url)}.\n`
        )
      )
      return
    }
    if (Option.isNone(input.url)) {
      return yield* new BadInput({ message: "Pass the server: scribe login --url URL [--token TOKEN]" })
    }
    const token = (yield* askToken(input.token)).trim()
    if (token === "") return yield* new BadInput({ message: "No token given." })
    // The token is checked with a real call before it is stored.
    yield* Connection.withConnection(
      { url: input.url, token: Option.some(token), embedded: false, dataDir: Option.none() },
      (connection) =>
        connection.client
          .listQueue()
          .pipe(
            Effect.catchTag("Unauthenticated", (e) =>
              Effect.fail(new Failed({ message: `${connection.baseUrl} refused the token: ${e.reason}` }))
            )
          )
    )
    yield* store(input.url.value, token)
  })
).pipe(Command.withDescription("Store a token for a server (checked first), or the embedded service's dev token"))
