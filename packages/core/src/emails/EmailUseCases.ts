import { Effect, Option } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import { EmailId, JobId, parseUuid } from "../Ids"
import { NewJob, TaskNotFound, taskStatus } from "../jobs/Job"
import { insertSubmission } from "../jobs/QueueUseCases"
import { currentDate, randomUuid } from "../Now"
import { Repo } from "../store/Repo"
import { EmailNotFound, type EmailPage, InvalidEmailId } from "./Email"

export interface GenerateRequest {
  readonly emailTemplate: string
  readonly recipientName: string
  readonly recipientInterest: string
}

/** Queues one email generation; its job id is the task id. */
export const generate = Effect.fn("Emails.generate")(function* (
  user: AuthUser,
  request: GenerateRequest,
  idempotencyKey?: string
) {
  const createdAt = yield* currentDate
  const job = new NewJob({
    id: JobId.make(yield* randomUuid),
    userId: user.id,
    batchId: null,
    recipientName: request.recipientName,
    recipientInterest: request.recipientInterest,
    emailTemplate: request.emailTemplate,
    createdAt
  })
  const [id] = yield* insertSubmission([job], {
    user,
    key: idempotencyKey,
    request: { scope: "generate", ...request },
    now: createdAt
  })
  return id ?? job.id
})

/** The task view of one of the caller's jobs; unknown, foreign and expired tasks are all "not found". */
export const status = Effect.fn("Emails.status")(function* (user: AuthUser, taskId: string) {
  const repo = yield* Repo
  const parsed = parseUuid(taskId)
  if (!parsed.ok) return yield* new TaskNotFound({ id: taskId })
  const job = yield* repo.findJob(user.id, JobId.make(parsed.value))
  if (Option.isNone(job)) return yield* new TaskNotFound({ id: taskId })
  const result = taskStatus(job.value, yield* currentDate)
  if (Option.isNone(result)) return yield* new TaskNotFound({ id: taskId })
  return { jobId: job.value.id, status: result.value }
})

const parseEmailId = (input: string) => {
  const parsed = parseUuid(input)
  return parsed.ok
    ? Effect.succeed(EmailId.make(parsed.value))
    : Effect.fail(new InvalidEmailId({ input, reason: parsed.reason }))
}

export const get = Effect.fn("Emails.get")(function* (user: AuthUser, emailId: string) {
  const repo = yield* Repo
  const id = yield* parseEmailId(emailId)
  const email = yield* repo.findEmail(user.id, id)
  if (Option.isNone(email)) return yield* new EmailNotFound({ id })
  return email.value
})

export const list = Effect.fn("Emails.list")(function* (user: AuthUser, page: EmailPage) {
  const repo = yield* Repo
  return yield* repo.listEmails(user.id, page)
})

/** Shows (`true`) or discards (`false`) one of the caller's emails. */
export const setDisplayed = Effect.fn("Emails.setDisplayed")(function* (
  user: AuthUser,
  emailId: string,
  displayed: boolean
) {
  const repo = yield* Repo
  const id = yield* parseEmailId(emailId)
  const email = yield* repo.setDisplayed(user.id, id, displayed)
  if (Option.isNone(email)) return yield* new EmailNotFound({ id })
  return email.value
})

export const ensureUser = Effect.fn("Users.ensure")(function* (user: AuthUser) {
  const repo = yield* Repo
  yield* repo.upsertUser(user, yield* currentDate)
})
