import * as Data from "effect/Data"

/** The command line's exit codes. */
export const ExitCode = {
  /** Everything asked for was done (every job completed). */
  ok: 0,
  /** Something failed: a job, the server, the connection, the token. */
  failed: 1,
  /** The input was refused before anything was submitted: a bad file, template, option or request. */
  badInput: 2,
  /** Ctrl-C stopped the command (by convention 128 + SIGINT). */
  interrupted: 130
} as const

/** The input is unusable; nothing was submitted. Exit code 2. */
export class BadInput extends Data.TaggedError("BadInput")<{ readonly message: string }> {}

/** Something failed that the user should know of (the server, the connection, the embedded service). Exit code 1. */
export class Failed extends Data.TaggedError("Failed")<{ readonly message: string }> {}

/** Some jobs failed; what failed was already reported. Exit code 1. */
export class JobsFailed extends Data.TaggedError("JobsFailed")<{ readonly failed: number; readonly total: number }> {}

interface Tagged {
  readonly _tag: string
  readonly [key: string]: unknown
}

const isTagged = (u: unknown): u is Tagged =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"

const fieldErrors = (detail: unknown): string =>
  Array.isArray(detail)
    ? detail
        .map((entry: { loc?: ReadonlyArray<string | number>; msg?: string }) =>
          `  ${(entry.loc ?? []).join(".")}: ${entry.msg ?? "invalid"}`.trimEnd()
        )
        .join("\n")
    : String(detail)

/**
 * What to print and which exit code to use for a failure of a command: our own errors, the client's typed errors
 * (by `_tag`, so this module needs none of their classes) and anything else.
 */
export const describeFailure = (error: unknown): { readonly code: number; readonly message: string } => {
  if (!isTagged(error)) return { code: ExitCode.failed, message: String(error) }
  switch (error._tag) {
    case "BadInput":
      return { code: ExitCode.badInput, message: String(error.message) }
    case "Failed":
      return { code: ExitCode.failed, message: String(error.message) }
    case "JobsFailed":
      return { code: ExitCode.failed, message: "" }
    case "ValidationError":
      return {
        code: ExitCode.badInput,
        message: `The server refused the request (422):\n${fieldErrors(error.detail)}`
      }
    case "BatchTooLarge":
    case "BatchEmpty":
    case "InvalidEmailId":
    case "InvalidQueueItemId":
    case "CannotCancel":
      return { code: ExitCode.badInput, message: `The server refused the request: ${messageOf(error)}` }
    case "IdempotencyKeyReused":
      return {
        code: ExitCode.badInput,
        message:
          "The server already took a different request under the same Idempotency-Key in the last 24 hours; " +
          "nothing new was queued."
      }
    case "Unauthenticated":
      return {
        code: ExitCode.failed,
        message: `The server refused the token (401): ${String(error.reason ?? "")}\nLog in again: scribe login --url URL --token TOKEN`
      }
    case "TooManyActiveJobs":
    case "SubmissionRateLimited":
      return { code: ExitCode.failed, message: `The server's limits were reached (429): ${messageOf(error)}` }
    case "TaskNotFound":
      return {
        code: ExitCode.failed,
        message: `Task ${String(error.id)} not found (unknown, another user's, or expired)`
      }
    case "EmailNotFound":
      return { code: ExitCode.failed, message: `Email ${String(error.id)} not found` }
    case "QueueItemNotFound":
      return { code: ExitCode.failed, message: `Queue item ${String(error.id)} not found` }
    case "InternalServerError":
      return { code: ExitCode.failed, message: "The server failed (500 Internal Server Error)" }
    case "ScribeTransportError":
      return { code: ExitCode.failed, message: `Could not reach the server: ${String(error.message)}` }
    default:
      return { code: ExitCode.failed, message: messageOf(error) }
  }
}

const messageOf = (error: Tagged): string => {
  const message = error.message
  if (typeof message === "string" && message !== "") return message
  const { _tag, ...fields } = error
  return Object.keys(fields).length === 0 ? _tag : `${_tag} ${JSON.stringify(fields)}`
}
