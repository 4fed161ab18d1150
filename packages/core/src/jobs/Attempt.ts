import { Clock, Deferred, Duration, Effect, Fiber, Option, Queue, Ref } from "effect"
import { currentDate } from "../Now"
import * as Metrics from "../ops/Metrics"
import * as TraceContext from "../ops/TraceContext"
import { Repo } from "../store/Repo"
import { budgetExceededMessage, budgetExceededType } from "../usage/Guardrails"
import { dayTokens, utcDay } from "../usage/Usage"
import { type GeneratedEmail, GenerationFailed, Generator, type StepProgress } from "./Generator"
import type { Job } from "./Job"
import { type Claim, JobQueue } from "./JobQueue"
import * as Settlement from "./Settlement"
import type { WorkerOptions } from "./WorkerOptions"

/** How one attempt ended. */
type Outcome =
  | { readonly _tag: "Generated"; readonly email: GeneratedEmail }
  | { readonly _tag: "Failed"; readonly error: GenerationFailed }
  | { readonly _tag: "LeaseLost" }
  | { readonly _tag: "Stopped" }

/**
 * How long a progress report waits before it is written, so the least time between two writes of one job: pollers
 * look every 2 s, steps take seconds.
 */
const progressSpacing = Duration.millis(200)

/** A defect is a bug: retrying would only spend upstream budget again. */
const fromDefect = (defect: unknown) =>
  new GenerationFailed({
    message: `Unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
    type: "InternalError",
    failedStep: null,
    transient: false,
    retryAfterMs: null
  })

/**
 * One attempt at a claimed job: the `Generator` runs on it under a renewed lease and a hard time limit, its progress
 * written behind it, and the attempt is settled through the queue by how it ended. `stopping` is the worker's
 * shutdown: a running attempt then has `shutdownGrace` to finish before its job is put back in line.
 */
export const make = (options: WorkerOptions, stopping: Deferred.Deferred<void>) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const repo = yield* Repo
    const generator = yield* Generator
    const settle = yield* Settlement.make(options)
    const leaseMs = Duration.toMillis(queue.leaseDuration)
    const timeoutSeconds = Duration.toSeconds(options.taskTimeout)

    /**
     * The failure message when the job's user has spent the daily token budget (UTC day). A store that cannot tell
     * lets the job run: the budget bounds spending, it is not worth failing work over.
     */
    const spentBudget = (job: Job) =>
      Effect.gen(function* () {
        const budget = options.dailyTokenBudget ?? null
        if (budget === null) return Option.none<string>()
        const today = utcDay(yield* currentDate)
        const days = yield* repo.usage(job.userId, today, today)
        const used = dayTokens(days[0])
        return used >= budget ? Option.some(budgetExceededMessage(used, budget)) : Option.none<string>()
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("Worker: could not read the user's usage; running the job", error).pipe(
            Effect.as(Option.none<string>())
          )
        )
      )

    /** Runs the generator under the lease, the time limit and shutdown; how it ended, and the last progress. */
    const generate = (claim: Claim) =>
      Effect.gen(function* () {
        const progress = yield* Ref.make<StepProgress | null>(null)
        const leaseLost = yield* Deferred.make<void>()
        const lost = Deferred.succeed(leaseLost, undefined)

        // Progress is written behind the pipeline, `progressSpacing` after a report and at most that often: a step
        // never waits for the store, and reports that arrive meanwhile fold into the write (the row only ever shows the
        // latest). Writing each report in line cost a zero-latency email 8 store round trips on its critical path, and
        // writing the first one at once still put a write beside the job's first steps (measured by the benchmarks);
        // the claim already shows the first step, and a job done within `progressSpacing` writes nothing more.
        const unwritten = yield* Queue.sliding<StepProgress>(1)
        const report = (step: StepProgress) =>
          Ref.set(progress, step).pipe(Effect.zipRight(Queue.offer(unwritten, step)), Effect.asVoid)
        const writing = yield* Effect.gen(function* () {
          while (true) {
            const first = yield* Queue.take(unwritten)
            yield* Effect.sleep(progressSpacing)
            const { step, stepTimings } = Option.getOrElse(yield* Queue.poll(unwritten), () => first)
            const held = yield* queue
              .progress(claim, { step, stepTimings })
              .pipe(
                Effect.catchAll((error) =>
                  Effect.logWarning("Worker: progress not recorded", error).pipe(Effect.as(true))
                )
              )
            if (!held) return yield* lost
          }
        }).pipe(Effect.fork)

        // Renews at a third of the lease, so one missed renewal is survived; a lost lease stops the attempt.
        const renewing = yield* Effect.gen(function* () {
          while (true) {
            yield* Effect.sleep(Duration.millis(leaseMs / 3))
            const held = yield* queue
              .renew(claim)
              .pipe(
                Effect.catchAll((error) =>
                  Effect.logWarning("Worker: lease renewal failed; trying again", error).pipe(Effect.as(true))
                )
              )
            if (!held) return yield* lost
          }
        }).pipe(Effect.fork)

        const generation: Effect.Effect<Outcome> = generator.generate(claim.job, report).pipe(
          Effect.map((email): Outcome => ({ _tag: "Generated", email })),
          Effect.catchAll((error) => Effect.succeed<Outcome>({ _tag: "Failed", error })),
          Effect.catchAllDefect((defect) => Effect.succeed<Outcome>({ _tag: "Failed", error: fromDefect(defect) }))
        )
        const timeout = new GenerationFailed({
          message: `The attempt was stopped at its ${timeoutSeconds} s time limit`,
          type: "TimeoutError",
          failedStep: null,
          transient: true,
          retryAfterMs: null
        })
        // The time limit races the work like the lease and shutdown do (one race, not a second one around the work);
        // the loser is interrupted and awaited either way.
        const outcome = yield* Effect.raceAll([
          generation,
          Effect.sleep(options.taskTimeout).pipe(Effect.as<Outcome>({ _tag: "Failed", error: timeout })),
          Deferred.await(leaseLost).pipe(Effect.as<Outcome>({ _tag: "LeaseLost" })),
          Deferred.await(stopping).pipe(
            Effect.zipRight(Effect.sleep(options.shutdownGrace)),
            Effect.as<Outcome>({ _tag: "Stopped" })
          )
        ])
        return { outcome, last: yield* Ref.get(progress), helpers: [renewing, writing] as const }
      })

    /** Settles the attempt by how it ended, and counts it (`record`) as it ended. */
    const settleOutcome = (
      claim: Claim,
      outcome: Outcome,
      last: StepProgress | null,
      record: (ended: Metrics.AttemptOutcome) => Effect.Effect<void>
    ) =>
      Effect.gen(function* () {
        const stepTimings = last?.stepTimings ?? claim.job.stepTimings
        switch (outcome._tag) {
          case "Generated":
            yield* settle.complete(claim, outcome.email)
            return yield* record("completed")
          case "Failed": {
            const { error } = outcome
            // A timeout stops the work wherever it was: name the step it was in.
            const located =
              error.failedStep === null && last !== null
                ? new GenerationFailed({
                    message: error.message,
                    type: error.type,
                    failedStep: last.step,
                    transient: error.transient,
                    retryAfterMs: error.retryAfterMs
                  })
                : error
            const retried = yield* settle.failed(claim, located, stepTimings)
            return yield* record(retried ? "retried" : "failed")
          }
          case "LeaseLost":
            yield* record("lease_lost")
            return yield* Effect.logWarning("Worker: lease lost; the attempt was stopped and its result dropped")
          case "Stopped":
            yield* record("stopped")
            yield* Effect.logInfo("Worker: shutting down; the job goes back in line")
            yield* settle.putBack(claim)
            return
        }
      })

    const run = (claim: Claim) =>
      Effect.gen(function* () {
        const { job } = claim
        if (job.attempts > options.retry.maxAttempts) {
          // Its earlier holders stopped without settling it (killed, cut off): it has had its attempts.
          return yield* settle.fail(
            claim,
            {
              message: job.errorMessage ?? `The job was interrupted ${job.attempts - 1} times without finishing`,
              type: job.errorType ?? "WorkerLost",
              failedStep: job.failedStep
            },
            job.stepTimings
          )
        }
        const overBudget = yield* spentBudget(job)
        if (Option.isSome(overBudget)) {
          yield* Effect.logWarning("Worker: the user's daily token budget is spent; job failed without running")
          return yield* settle.fail(
            claim,
            { message: overBudget.value, type: budgetExceededType, failedStep: null },
            job.stepTimings
          )
        }
        yield* Effect.logInfo(`Worker: attempt ${job.attempts} started`)
        const started = yield* Clock.currentTimeMillis
        const { outcome, last, helpers } = yield* generate(claim)
        const record = (ended: Metrics.AttemptOutcome) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Metrics.recordAttempt(ended, (now - started) / 1000))
        yield* Effect.uninterruptible(settleOutcome(claim, outcome, last, record)).pipe(
          Effect.ensuring(Fiber.interruptAll(helpers))
        )
      }).pipe(
        Effect.annotateLogs({ jobId: claim.job.id, attempt: claim.job.attempts, worker: claim.lease.workerId }),
        // A child of the span that submitted the job (stored with it), so request and attempts share one trace.
        Effect.withSpan("Worker.run", {
          kind: "consumer",
          parent: Option.getOrUndefined(TraceContext.parse(claim.job.traceParent)),
          attributes: {
            "job.id": claim.job.id,
            "job.attempt": claim.job.attempts,
            "job.batch_id": claim.job.batchId ?? "",
            "user.id": claim.job.userId
          }
        })
      )

    return { run }
  })
