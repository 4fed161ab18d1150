import { Config, ConfigError, Either, Option, Redacted } from "effect"
import type { RedisOptions } from "ioredis"

/**
 * ioredis options from a `redis://[user:password@]host[:port][/db]` URL (`rediss://` for TLS). Connections retry
 * forever in the background; a command waits (bounded) while the server is away.
 */
export const optionsFromUrl = (url: string): Either.Either<RedisOptions, string> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Either.left("is not a URL")
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return Either.left("must start with redis:// or rediss://")
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) return Either.left("has an invalid database number")
  const port = parsed.port === "" ? 6379 : Number(parsed.port)
  return Either.right({
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    db,
    ...(parsed.username === "" ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === "" ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {})
  })
}

/** `REDIS_URL` (unset or blank: no Redis); an invalid URL fails at start naming the variable. */
export const redisUrl: Config.Config<Option.Option<RedisOptions>> = Config.option(Config.redacted("REDIS_URL")).pipe(
  Config.mapOrFail((url) => {
    const value = Option.map(url, Redacted.value).pipe(Option.filter((u) => u.trim() !== ""))
    if (Option.isNone(value)) return Either.right(Option.none())
    return optionsFromUrl(value.value.trim()).pipe(
      Either.map(Option.some),
      Either.mapLeft((reason) => ConfigError.InvalidData(["REDIS_URL"], `REDIS_URL ${reason}`))
    )
  })
)

/** `SCRIBE_REDIS_PREFIX` (default `scribe:`): every key the service writes starts with it. */
export const redisPrefix: Config.Config<string> = Config.string("SCRIBE_REDIS_PREFIX").pipe(
  Config.withDefault("scribe:"),
  Config.validate({ message: "SCRIBE_REDIS_PREFIX must not be empty", validation: (p) => p.length > 0 })
)
