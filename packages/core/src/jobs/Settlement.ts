import { Duration, Effect, Option, Schedule } from "effect"
import { Email } from "../emails/Email"
import { EmailId } from "../Ids"
import { currentDate, randomUuid } from "../Now"
import * as Metrics from "../ops/Metrics"
import type { StepTimings } from "../pipeline/PipelineStep"
import { builtinPriceTable, jobUsage } from "../usage/Usage"
import type { GeneratedEmail, GenerationFailed } from "./Generator"
import { truncateErrorMessage } from "./Job"
import { type Claim, type JobFailure, JobQueue } from "./JobQueue"
import { retryDelay } from "./RetryPolicy"
import type { WorkerOptions } from "./WorkerOptions"

/** Store writes at the end of a job are retried through a short outage; past that the lease runs out instead. */
const persistently = Schedule.exponential("200 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.intersect(Schedule.recurs(30))
)

/** Runs a settling write to the end, through outages; `None` when it could not be done. */
const settleWrite = <A, E>(what: string, write: Effect.Effect<A, E>) =>
  write.pipe(
    Effect.retry(persistently),
    Effect.map(Option.some),
    Effect.catchAll((error) =>
      Effect.logError(`Worker: could not ${what}; the lease will expire and the job run again`, error).pipe(
        Effect.as(Option.none<A>())
      )
    )
  )

/** Seconds since the job's first attempt started (retries and their back-off included). */
const sinceFirstStart = (claim: Claim, now: Date) =>
  Math.max(0, (now.getTime() - (claim.job.startedAt ?? claim.leaseUntil).getTime()) / 1000)

/**
 * How the worker ends an attempt through the queue: the job completed with its email, failed, or put back in line
 * (for a retry after its back-off, or at once on shutdown).
 */
export const make = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue

    const fail = (claim: Claim, failure: JobFailure, stepTimings: StepTimings) =>
      Effect.gen(function* () {
        const stored = yield* settleWrite(
          "record the failure",
          Effect.flatMap(currentDate, (now) =>
            queue.fail(claim, {
              message: truncateErrorMessage(failure.message),
              type: failure.type,
              failedStep: failure.failedStep,
              stepTimings,
              now
            })
          )
        )
        if (Option.isSome(stored) && !stored.value) yield* Effect.logWarning("Worker: lease lost; failure dropped")
        else if (Option.isSome(stored))
          yield* Metrics.recordJobFinished("failed", sinceFirstStart(claim, yield* currentDate))
      })

    const complete = (claim: Claim, generated: GeneratedEmail) =>
      Effect.gen(function* () {
        const { job } = claim
        const now = yield* currentDate
        // Wall time since the job's first attempt started: retries and their back-off included.
        const generationTime = sinceFirstStart(claim, now)
        const id = EmailId.make(yield* randomUuid)
        const spent = jobUsage(generated.metadata, options.prices ?? builtinPriceTable)
        const built = yield* Effect.try(
          () =>
            new Email({
              id,
              userId: job.userId,
              jobId: job.id,
              recipientName: job.recipientName,
              recipientInterest: job.recipientInterest,
              emailMessage: generated.emailMessage,
              templateType: generated.templateType,
              metadata: {
                ...generated.metadata,
                generation_time: generationTime,
                step_timings: generated.stepTimings,
                attempts: job.attempts,
                ...spent.estimate
              },
              isConfident: generated.isConfident,
              displayed: true,
              createdAt: now
            })
        ).pipe(Effect.either)
        if (built._tag === "Left") {
          yield* Effect.logError("Worker: the generated email is not a valid Email", built.left)
          return yield* fail(
            claim,
            { message: "The generated email could not be stored", type: "InternalError", failedStep: "email_composer" },
            generated.stepTimings
          )
        }
        const stored = yield* settleWrite(
          "store the email",
          queue.complete(claim, {
            email: built.right,
            generationTime,
            stepTimings: generated.stepTimings,
            now,
            usage: spent.usage
          })
        )
        if (Option.isSome(stored) && !stored.value) {
          yield* Effect.logWarning("Worker: lease lost or job cancelled; result dropped")
        } else if (Option.isSome(stored)) {
          yield* Effect.logInfo("Worker: job completed")
          yield* Metrics.recordJobFinished("completed", generationTime)
        }
      })

    /**
     * A transient failure is retried after a back-off while attempts remain; anything else fails the job. True when the
     * job was put back in line.
     */
    const failed = (claim: Claim, error: GenerationFailed, stepTimings: StepTimings) =>
      Effect.gen(function* () {
        const { job } = claim
        const failure: JobFailure = {
          message: truncateErrorMessage(error.message),
          type: error.type,
          failedStep: error.failedStep
        }
        if (!error.transient || job.attempts >= options.retry.maxAttempts) {
          yield* Effect.logWarning(`Worker: job failed on attempt ${job.attempts}: ${error.type}`)
          yield* fail(claim, failure, stepTimings)
          return false
        }
        const delay = yield* retryDelay(options.retry, job.attempts, error.retryAfterMs)
        yield* Effect.logInfo(
          `Worker: attempt ${job.attempts} failed (${error.type}); retrying in ${Duration.format(delay)}`
        )
        const released = yield* settleWrite(
          "put the job back in line",
          Effect.flatMap(currentDate, (now) =>
            queue.release(claim, {
              availableAt: new Date(now.getTime() + Duration.toMillis(delay)),
              lastError: failure
            })
          )
        )
        if (Option.isSome(released) && !released.value) yield* Effect.logWarning("Worker: lease lost; retry dropped")
        return true
      })

    /** Back in line at once, keeping its place: the worker is shutting down. */
    const putBack = (claim: Claim) =>
      settleWrite(
        "put the job back in line",
        Effect.flatMap(currentDate, (now) => queue.release(claim, { availableAt: now, lastError: null }))
      )

    return { complete, fail, failed, putBack }
  })
