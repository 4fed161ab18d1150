import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { FileSystem } from "@effect/platform"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Failed } from "./CliError"

/** What `scribe login` keeps: a token per server, and the server used when `--url` is not given. */
const StoredConfig = Schema.Struct({
  defaultUrl: Schema.optional(Schema.String),
  servers: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ token: Schema.String, savedAt: Schema.String })
  })
})
type StoredConfig = typeof StoredConfig.Type

const empty: StoredConfig = { servers: {} }

const ConfigJson = Schema.parseJson(StoredConfig)

/**
 * `$XDG_CONFIG_HOME/scribe/config.json`, else the platform's user config folder: `%APPDATA%` on Windows,
 * `~/Library/Application Support` on macOS, `~/.config` elsewhere.
 */
export const configFile = (env: NodeJS.ProcessEnv = process.env): string => {
  const base =
    env.XDG_CONFIG_HOME ||
    (process.platform === "win32"
      ? env.APPDATA || join(homedir(), "AppData", "Roaming")
      : process.platform === "darwin"
        ? join(homedir(), "Library", "Application Support")
        : join(homedir(), ".config"))
  return join(base, "scribe", "config.json")
}

/** One spelling per server: no trailing slash. */
export const normaliseUrl = (url: string) => url.trim().replace(/\/+$/, "")

const load = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(file))) return empty
    const text = yield* fs.readFileString(file)
    return yield* Schema.decode(ConfigJson)(text).pipe(
      Effect.mapError(
        () => new Failed({ message: `${file} is not a config file scribe can read; delete it and log in again.` })
      )
    )
  }).pipe(
    Effect.catchTag("SystemError", "BadArgument", (e) =>
      Effect.fail(new Failed({ message: `Cannot read ${file}: ${e.message}` }))
    )
  )

/** The stored token for a server, if any. */
export const tokenFor = (url: string, file = configFile()) =>
  Effect.map(load(file), (config) => Option.fromNullable(config.servers[normaliseUrl(url)]?.token))

/** The server `scribe login` made the default, if any. */
export const defaultUrl = (file = configFile()) =>
  Effect.map(load(file), (config) => Option.fromNullable(config.defaultUrl))

/** Stores the token for the server and makes it the default; the file is readable by its owner only. */
export const save = (url: string, token: string, file = configFile()) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const config = yield* load(file)
    const key = normaliseUrl(url)
    const next: StoredConfig = {
      defaultUrl: key,
      servers: { ...config.servers, [key]: { token, savedAt: new Date().toISOString() } }
    }
    yield* fs.makeDirectory(dirname(file), { recursive: true, mode: 0o700 })
    const text = yield* Schema.encode(ConfigJson)(next).pipe(Effect.orDie)
    // Written beside it then renamed over it, so the token is never in a file anyone else may read.
    const temporary = `${file}.${process.pid}.tmp`
    yield* fs.writeFileString(temporary, `${text}\n`, { mode: 0o600 })
    yield* fs.chmod(temporary, 0o600)
    yield* fs.rename(temporary, file)
    return file
  }).pipe(
    Effect.catchTag("SystemError", "BadArgument", (e) =>
      Effect.fail(new Failed({ message: `Cannot write ${file}: ${e.message}` }))
    )
  )
