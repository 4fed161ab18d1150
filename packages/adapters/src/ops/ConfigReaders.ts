import { Config, ConfigError, Either, Option, Redacted } from "effect"

/**
 * Readers for the variables several adapters share the rules of: a blank value counts as unset (deployments often
 * template every variable, leaving some empty), and URLs must be absolute http(s).
 */

/** `name`, trimmed; unset or blank is `None`. */
export const optionalString = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.map((value) => value.trim())),
    Config.map(Option.filter((value) => value.length > 0))
  )

/** The secret `name`, redacted and as given; unset or blank is `None`. */
export const optionalSecret = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((secret) => Redacted.value(secret).trim().length > 0))
  )

/** Whether `url` is an absolute http: or https: URL. */
export const isHttpUrl = (url: string): boolean => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)

/** `url` when it is an absolute http(s) URL, else a configuration error naming `name` (for `Config.mapOrFail`). */
export const httpUrl =
  (name: string) =>
  (url: string): Either.Either<string, ConfigError.ConfigError> =>
    isHttpUrl(url)
      ? Either.right(url)
      : Either.left(ConfigError.InvalidData([name], `${name} must be an absolute http(s) URL`))
