/** What the console says about a failed call, from the client's typed errors (their `_tag`). */

interface Tagged {
  readonly _tag: string
  readonly [key: string]: unknown
}

const isTagged = (u: unknown): u is Tagged =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"

export interface FieldProblem {
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly type: string
}

/** The `detail` of a 422 (or of a request the client refused to send, which it reports the same way). */
export const validationDetail = (error: unknown): ReadonlyArray<FieldProblem> =>
  isTagged(error) && error._tag === "ValidationError" && Array.isArray(error.detail)
    ? (error.detail as ReadonlyArray<FieldProblem>)
    : []

/** A field's key from its `loc`, without the leading `body`/`query`/`path`: `items.0.recipient_name`. */
export const fieldKey = (loc: ReadonlyArray<string | number>): string => loc.slice(1).join(".")

/** The server's message for each field of a 422, keyed by `fieldKey` (the first message per field). */
export const fieldMessages = (error: unknown): ReadonlyMap<string, string> => {
  const messages = new Map<string, string>()
  for (const problem of validationDetail(error)) {
    const key = fieldKey(problem.loc)
    if (!messages.has(key)) messages.set(key, problem.msg)
  }
  return messages
}

const retryIn = (error: Tagged) =>
  typeof error.retryAfterSeconds === "number" ? ` Try again in ${error.retryAfterSeconds} s.` : ""

/** One sentence for a person. */
export const describeError = (error: unknown): string => {
  if (!isTagged(error)) return error instanceof Error ? error.message : String(error)
  switch (error._tag) {
    case "ValidationError": {
      const detail = validationDetail(error)
      return detail.length === 0
        ? "The request was not valid."
        : `Please fix: ${detail.map((d) => `${fieldKey(d.loc) || "request"} — ${d.msg}`).join("; ")}`
    }
    case "Unauthenticated":
      return "Your session has ended. Please sign in again."
    case "TooManyActiveJobs":
      return `You have too many emails in the queue (limit ${String(error.max)}); nothing was queued.${retryIn(error)}`
    case "SubmissionRateLimited":
      return `Too many submissions in a minute (limit ${String(error.limit)}); nothing was queued.${retryIn(error)}`
    case "BatchTooLarge":
      return `A batch holds at most ${String(error.max)} recipients.`
    case "BatchEmpty":
      return "Add at least one recipient."
    case "CannotCancel":
      return `Cannot cancel an item that is ${String(error.status)}.`
    case "QueueItemNotFound":
      return "That queue item is gone (finished more than a day ago, or cancelled)."
    case "EmailNotFound":
    case "InvalidEmailId":
      return "Email not found, or it is not yours."
    case "TaskNotFound":
      return "That task is unknown or finished more than an hour ago."
    case "IdempotencyKeyReused":
      return "This submission was already made with different contents; start a new one."
    case "TaskFailed":
      return `The email could not be written${error.failedStep ? ` (in ${String(error.failedStep)})` : ""}: ${String(error.message)}`
    case "InternalServerError":
      return "Scribe failed on its side. Try again in a moment."
    case "ScribeTransportError":
      return error.reason === "Network" || error.reason === "Timeout"
        ? "Cannot reach Scribe. Check that the service is running."
        : `Unexpected answer from Scribe (${String(error.message)}).`
    case "AdminRequired":
      return "This page is for operators only."
    default:
      return typeof error.message === "string" && error.message !== "" ? error.message : error._tag
  }
}

export const isUnauthenticated = (error: unknown): boolean => isTagged(error) && error._tag === "Unauthenticated"
