import { Cause, ConfigError, Console, Effect } from "effect"

const variableOf = (path: ReadonlyArray<string>) => path.join("_")

const sentence = (text: string) => {
  const trimmed = text.trim()
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?]$/.test(capital) ? capital : `${capital}.`
}

/** The leaves of a configuration error (`And` / `Or` trees of single problems). */
const leaves = (error: ConfigError.ConfigError): ReadonlyArray<ConfigError.ConfigError> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...leaves(error.left), ...leaves(error.right)]
    default:
      return [error]
  }
}

/**
 * One readable sentence for one configuration problem, naming the variable and what to do. Our own messages already
 * name their variable; Effect's (`Expected an integer value but received "x"`) get the name and the remedy added.
 */
export const describeConfigProblem = (error: ConfigError.ConfigError): string => {
  if (error._op === "And" || error._op === "Or") return leaves(error).map(describeConfigProblem).join(" ")
  const variable = variableOf(error.path)
  const message = error.message.trim()
  // Effect's own wording for an unset variable ("Expected X to exist in the process context").
  if (error._op === "MissingData" && variable !== "" && /^Expected .* to exist in /.test(message)) {
    return sentence(`${variable} is not set; set it and start again`)
  }
  if (variable === "" || message.includes(variable)) return sentence(message)
  switch (error._op) {
    case "MissingData":
      return sentence(`${variable} is not set; set it and start again`)
    case "InvalidData":
      return sentence(`${variable} is invalid (${message.charAt(0).toLowerCase()}${message.slice(1)}); fix or unset it`)
    default:
      return sentence(`${variable}: ${message}`)
  }
}

/** Every configuration problem in a failure, one sentence each; none when the failure is something else. */
export const configProblems = (cause: Cause.Cause<unknown>): ReadonlyArray<string> => [
  ...new Set(
    Array.from(Cause.failures(cause)).flatMap((failure) =>
      ConfigError.isConfigError(failure) ? leaves(failure).map(describeConfigProblem) : []
    )
  )
]

/**
 * What a root runs under: when it stops on bad configuration, each problem is printed as one sentence on stderr
 * (no stack, no structure) and the process exits non-zero; any other failure is logged whole. Meant for
 * `NodeRuntime.runMain(…, { disableErrorReporting: true })`, which still sets the exit code.
 */
export const reportStartupFailure = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapErrorCause(self, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.void
    const problems = configProblems(cause)
    if (problems.length === 0) return Effect.logError("Scribe stopped", cause)
    return Console.error(
      ["Scribe cannot start: the configuration has a problem.", ...problems.map((p) => `  - ${p}`)].join("\n")
    )
  })
