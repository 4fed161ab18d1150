import { Options } from "@effect/cli"
import type { FileSystem } from "@effect/platform"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as ScribeClient from "@scribe/client/ScribeClient"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { BadInput, Failed } from "./CliError"
import * as Credentials from "./Credentials"
import * as EmbeddedServer from "./EmbeddedServer"

/** `SCRIBE_URL`, the server when `--url` is not given. */
export const urlConfig = Config.string("SCRIBE_URL")

/** The options every command that talks to a server takes. */
export const options = {
  url: Options.text("url").pipe(
    Options.withDescription(
      "The Scribe server, e.g. https://scribe.example.com (else SCRIBE_URL, else the login default)"
    ),
    Options.withFallbackConfig(urlConfig),
    Options.optional
  ),
  token: Options.text("token").pipe(
    Options.withDescription("Bearer token (else SCRIBE_TOKEN, else the one `scribe login` stored for the server)"),
    Options.withFallbackConfig(Config.string("SCRIBE_TOKEN")),
    Options.optional
  ),
  embedded: Options.boolean("embedded").pipe(
    Options.withDescription("Start the embedded service from this clone for the command, and stop it afterwards")
  ),
  dataDir: Options.text("data-dir").pipe(
    Options.withDescription("With --embedded: its data folder, or `memory` (default SCRIBE_DATA_DIR, else .scribe/)"),
    Options.optional
  )
} as const

export interface ConnectionOptions {
  readonly url: Option.Option<string>
  readonly token: Option.Option<string>
  readonly embedded: boolean
  readonly dataDir: Option.Option<string>
}

/** A connected client, with what it was built from (for the requests the contract does not type yet). */
export interface Connection {
  readonly client: ScribeClient.Service
  readonly baseUrl: string
  readonly token: string
}

const makeClient = (baseUrl: string, token: string) =>
  ScribeClient.make({ baseUrl, token: () => token }).pipe(Effect.provide(FetchHttpClient.layer))

/** The service is up once `/health` answers (it prints its URL a moment before it listens). */
const awaitHealthy = (client: ScribeClient.Service) =>
  client.health().pipe(
    Effect.retry(Schedule.spaced(Duration.millis(200)).pipe(Schedule.upTo(Duration.seconds(60)))),
    Effect.mapError((error) => new Failed({ message: `The embedded service never answered: ${error.message}` }))
  )

const embedded = (options: ConnectionOptions) =>
  Effect.gen(function* () {
    const server = yield* EmbeddedServer.start({
      dataDir: Option.getOrUndefined(options.dataDir),
      onStarting: (message) => process.stderr.write(`${message}\n`)
    })
    const token = Option.orElse(options.token, () => server.token)
    if (Option.isNone(token)) {
      return yield* new BadInput({
        message:
          "The embedded service uses Supabase auth (SUPABASE_JWT_SECRET / SUPABASE_URL): pass --token or SCRIBE_TOKEN."
      })
    }
    const client = yield* makeClient(server.url, token.value)
    yield* awaitHealthy(client)
    yield* Effect.sync(() => process.stderr.write(`The embedded Scribe service is up at ${server.url}\n`))
    return { client, baseUrl: server.url, token: token.value } satisfies Connection
  })

const remote = (options: ConnectionOptions) =>
  Effect.gen(function* () {
    const url = Option.isSome(options.url) ? options.url : yield* Credentials.defaultUrl()
    if (Option.isNone(url)) {
      return yield* new BadInput({
        message:
          "No server: pass --url URL (with a token from `scribe login`, --token or SCRIBE_TOKEN), " +
          "or --embedded to start the embedded service from this clone."
      })
    }
    const baseUrl = Credentials.normaliseUrl(url.value)
    if (!/^https?:\/\/[^/]/i.test(baseUrl)) {
      return yield* new BadInput({ message: `--url must be an http(s) URL, got "${url.value}"` })
    }
    const token = Option.isSome(options.token) ? options.token : yield* Credentials.tokenFor(baseUrl)
    if (Option.isNone(token)) {
      return yield* new BadInput({
        message: `No token for ${baseUrl}: run scribe login --url ${baseUrl} --token TOKEN, or pass --token / SCRIBE_TOKEN.`
      })
    }
    return { client: yield* makeClient(baseUrl, token.value), baseUrl, token: token.value } satisfies Connection
  })

/** Connects as the options say; with `--embedded` the service lives as long as the scope. */
export const connect = (
  options: ConnectionOptions
): Effect.Effect<Connection, BadInput | Failed, Scope.Scope | FileSystem.FileSystem> =>
  options.embedded && Option.isSome(options.url)
    ? Effect.fail(new BadInput({ message: "Choose one of --url and --embedded." }))
    : options.embedded
      ? embedded(options)
      : remote(options)

/** Runs `use` with the connection and the client provided as `ScribeClient` (for the polling helpers). */
export const withConnection = <A, E, R>(
  options: ConnectionOptions,
  use: (connection: Connection) => Effect.Effect<A, E, R | ScribeClient.ScribeClient>
) =>
  Effect.scoped(
    Effect.flatMap(connect(options), (connection) =>
      Effect.provideService(use(connection), ScribeClient.ScribeClient, connection.client)
    )
  )
