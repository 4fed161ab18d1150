import { defaults, type WorkerOptions } from "@scribe/core/jobs/WorkerOptions"
import { builtinPriceTable, Prices, type PriceTable, priceTable } from "@scribe/core/usage/Usage"
import { Config, ConfigError, Duration, Either, Option, ParseResult, Schema } from "effect"

const bounded = (name: string, fallback: number, min: number, max: number, integer: boolean) =>
  (integer ? Config.integer(name) : Config.number(name)).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be ${integer ? "an integer" : "a number"} between ${min} and ${max}`,
      validation: (n) => Number.isFinite(n) && n >= min && n <= max
    })
  )

const PricesJson = Schema.parseJson(Prices)

/**
 * `SCRIBE_LLM_PRICES`: JSON `{"<model>": {"prompt": <USD per 1M>, "completion": <USD per 1M>}}` merged over the
 * built-in prices. Invalid JSON or prices fail at start, naming the variable.
 */
export const pricesConfig: Config.Config<PriceTable> = Config.string("SCRIBE_LLM_PRICES").pipe(
  Config.withDefault(""),
  Config.mapOrFail((text) => {
    if (text.trim() === "") return Either.right(builtinPriceTable)
    return Schema.decodeUnknownEither(PricesJson)(text).pipe(
      Either.map(priceTable),
      Either.mapLeft((error) =>
        ConfigError.InvalidData(
          ["SCRIBE_LLM_PRICES"],
          `SCRIBE_LLM_PRICES must be JSON like {"gpt-4o-mini":{"prompt":0.15,"completion":0.6}} (USD per 1M tokens): ${ParseResult.TreeFormatter.formatErrorSync(error)}`
        )
      )
    )
  })
)

/**
 * The worker's options from the environment: `SCRIBE_WORKER_CONCURRENCY` (32), `SCRIBE_TASK_TIMEOUT_SECONDS` (180),
 * `SCRIBE_MAX_ATTEMPTS` (3), `SCRIBE_RETRY_BASE_SECONDS` (5), `SCRIBE_RETRY_MAX_SECONDS` (300),
 * `SCRIBE_SHUTDOWN_GRACE_SECONDS` (25), `SCRIBE_WORKER_NAME` (default `defaultName`), `SCRIBE_LLM_PRICES` (see
 * `pricesConfig`), `SCRIBE_DAILY_TOKEN_BUDGET_PER_USER` (unset: unlimited). An invalid value fails at start, naming
 * the variable.
 */
export const makeConfig = (defaultName: string): Config.Config<WorkerOptions> =>
  Config.all({
    name: Config.string("SCRIBE_WORKER_NAME").pipe(
      Config.withDefault(defaultName),
      Config.validate({
        message: "SCRIBE_WORKER_NAME must be 1-100 characters without whitespace",
        validation: (name) => /^\S{1,100}$/.test(name)
      })
    ),
    concurrency: bounded("SCRIBE_WORKER_CONCURRENCY", defaults.concurrency, 1, 64, true),
    taskTimeout: bounded("SCRIBE_TASK_TIMEOUT_SECONDS", defaults.taskTimeoutSeconds, 0.001, 3600, false),
    maxAttempts: bounded("SCRIBE_MAX_ATTEMPTS", defaults.maxAttempts, 1, 100, true),
    retryBase: bounded("SCRIBE_RETRY_BASE_SECONDS", defaults.retryBaseSeconds, 0, 3600, false),
    retryMax: bounded("SCRIBE_RETRY_MAX_SECONDS", defaults.retryMaxSeconds, 0, 86_400, false),
    shutdownGrace: bounded("SCRIBE_SHUTDOWN_GRACE_SECONDS", defaults.shutdownGraceSeconds, 0, 3600, false),
    prices: pricesConfig,
    dailyTokenBudget: Config.option(
      Config.integer("SCRIBE_DAILY_TOKEN_BUDGET_PER_USER").pipe(
        Config.validate({
          message: "SCRIBE_DAILY_TOKEN_BUDGET_PER_USER must be a positive integer (tokens per user per UTC day)",
          validation: (n) => Number.isInteger(n) && n >= 1
        })
      )
    )
  }).pipe(
    Config.map((c) => ({
      name: c.name,
      concurrency: c.concurrency,
      taskTimeout: Duration.seconds(c.taskTimeout),
      retry: { maxAttempts: c.maxAttempts, base: Duration.seconds(c.retryBase), max: Duration.seconds(c.retryMax) },
      shutdownGrace: Duration.seconds(c.shutdownGrace),
      prices: c.prices,
      dailyTokenBudget: Option.getOrNull(c.dailyTokenBudget)
    }))
  )

/** `makeConfig` with a random default name. */
export const config: Config.Config<WorkerOptions> = Config.suspend(() =>
  makeConfig(`worker-${crypto.randomUUID().slice(0, 8)}`)
)
