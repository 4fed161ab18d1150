import {
  Cause,
  Clock,
  Config,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Queue,
  Ref,
  Schedule
} from "effect"
import { Email } from "../emails/Email"
import { EmailId } from "../Ids"
import { randomUuid } from "../Now"
import * as Metrics from "../ops/Metrics"
import * as TraceContext from "../ops/TraceContext"
import type { StepTimings } from "../pipeline/PipelineStep"
import { type JobFailure, Repo } from "../store/Repo"
import { budgetExceededMessage, budgetExceededType } from "../usage/Guardrails"
import { builtinPriceTable, dayTokens, jobUsage, type PriceTable, pricesConfig, utcDay } from "../usage/Usage"
import { type GeneratedEmail, GenerationFailed, Generator, type StepProgress } from "./Generator"
import { type Job, truncateErrorMessage } from "./Job"
import { type Claim, JobQueue } from "./JobQueue"
import { type RetryPolicy, retryDelay } from "./RetryPolicy"

export interface WorkerOptions {
  /** Names this worker's leases (`<name>/<slot>/<n>`), so a job's holder can be told in the table. */
  readonly name: string
  /** Jobs run at once. */
  readonly concurrency: number
  /** Hard limit per attempt: the work is interrupted and the attempt counts as a transient failure. */
  readonly taskTimeout: Duration.Duration
  readonly retry: RetryPolicy
  /** On shutdown, how long a running job may take to finish before it is put back in line. */
  readonly shutdownGrace: Duration.Duration
  /** Prices the tokens of each email (its `cost_usd`); the built-in table when absent. */
  readonly prices?: PriceTable
  /**
   * Tokens a user may spend per UTC day: a job of a user who has spent it fails before any upstream call. Checked
   * when a job starts, so the job that crosses it finishes. Absent or `null`: unlimited.
   */
  readonly dailyTokenBudget?: number | null
}

/**
 * Jobs a worker runs at once by default. The upstream budgets are global, so extra jobs wait for budget instead of
 * overrunning it. With the scholarly lookups grouped and cached, arXiv's spacing no longer bounds a batch: the search
 * and LLM budgets do, and a job holds its slot for about one critical path (~10 s) — at 5 searches a second (2.5 jobs
 * a second) that is ~25 jobs under way, so 32 keeps the budgets busy (docs/benchmarks.md, "throughput"), and a job's
 * wait for budget stays far inside the per-attempt limit.
 */
export const defaultConcurrency = 32

const bounded = (name: string, fallback: number, min: number, max: number, integer: boolean) =>
  (integer ? Config.integer(name) : Config.number(name)).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be ${integer ? "an integer" : "a number"} between ${min} and ${max}`,
      validation: (n) => Number.isFinite(n) && n >= min && n <= max
    })
  )

/**
 * `SCRIBE_WORKER_CONCURRENCY` (32), `SCRIBE_TASK_TIMEOUT_SECONDS` (180), `SCRIBE_MAX_ATTEMPTS` (3),
 * `SCRIBE_RETRY_BASE_SECONDS` (5), `SCRIBE_RETRY_MAX_SECONDS` (300), `SCRIBE_SHUTDOWN_GRACE_SECONDS` (25),
 * `SCRIBE_WORKER_NAME` (default `defaultName`), `SCRIBE_LLM_PRICES` (see `Usage.pricesConfig`),
 * `SCRIBE_DAILY_TOKEN_BUDGET_PER_USER` (unset: unlimited). An invalid value fails at start, naming the variable.
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
    concurrency: bounded("SCRIBE_WORKER_CONCURRENCY", defaultConcurrency, 1, 64, true),
    taskTimeout: bounded("SCRIBE_TASK_TIMEOUT_SECONDS", 180, 0.001, 3600, false),
    maxAttempts: bounded("SCRIBE_MAX_ATTEMPTS", 3, 1, 100, true),
    retryBase: bounded("SCRIBE_RETRY_BASE_SECONDS", 5, 0, 3600, false),
    retryMax: bounded("SCRIBE_RETRY_MAX_SECONDS", 300, 0, 86_400, false),
    shutdownGrace: bounded("SCRIBE_SHUTDOWN_GRACE_SECONDS", 25, 0, 3600, false),
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

/** How one attempt ended. */
type Outcome =
  | { readonly _tag: "Generated"; readonly email: GeneratedEmail }
  | { readonly _tag: "Failed"; readonly error: GenerationFailed }
  | { readonly _tag: "LeaseLost" }
  | { readonly _tag: "Stopped" }

const currentDate = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/**
 * How long a progress report waits before it is written, so the least time between two writes of one job: pollers
 * look every 2 s, steps take seconds.
 */
const progressSpacing = Duration.millis(200)

/** Store writes at the end of a job are retried through a short outage; past that the lease runs out instead. */
const persistently = Schedule.exponential("200 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.intersect(Schedule.recurs(30))
)

/**
 * The worker: `concurrency` loops, each taking a job, running the `Generator` on it under a renewed lease and a hard
 * time limit, and settling it — completed with its email, failed, or put back in line for a retry.
 */
export const make = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const repo = yield* Repo
    const generator = yield* Generator
    const stopping = yield* Deferred.make<void>()
    const leaseMs = Duration.toMillis(queue.leaseDuration)

    /** Runs a store write to the end, through outages; `None` when it could not be done. */
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

    /** Seconds since the job's first attempt started (retries and their back-off included). */
    const sinceFirstStart = (claim: Claim, now: Date) =>
      Math.max(0, (now.getTime() - (claim.job.startedAt ?? claim.leaseUntil).getTime()) / 1000)

    const fail = (claim: Claim, failure: JobFailure, stepTimings: StepTimings) =>
      Effect.gen(function* () {
        const { lease } = claim
        const stored = yield* settleWrite(
          "record the failure",
          Effect.flatMap(currentDate, (now) =>
            repo.failJob(lease, {
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
        yield* queue.ack(lease)
      })

    const complete = (claim: Claim, generated: GeneratedEmail) =>
      Effect.gen(function* () {
        const { job, lease } = claim
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
        const email = built.right
        const stored = yield* settleWrite(
          "store the email",
          repo.completeJob(lease, {
            email,
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
        yield* queue.ack(lease)
      })

    /**
     * A transient failure is retried after a back-off while attempts remain; anything else fails the job. True when the
     * job was put back in line.
     */
    const failed = (claim: Claim, error: GenerationFailed, stepTimings: StepTimings) =>
      Effect.gen(function* () {
        const { job, lease } = claim
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
            queue.release(lease, {
              availableAt: new Date(now.getTime() + Duration.toMillis(delay)),
              lastError: failure
            })
          )
        )
        if (Option.isSome(released) && !released.value) yield* Effect.logWarning("Worker: lease lost; retry dropped")
        return true
      })

    const run = (claim: Claim) =>
      Effect.gen(function* () {
        const { job, lease } = claim
        if (job.attempts > options.retry.maxAttempts) {
          // Its earlier holders stopped without settling it (killed, cut off): it has had its attempts.
          return yield* fail(
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
          return yield* fail(
            claim,
            { message: overBudget.value, type: budgetExceededType, failedStep: null },
            job.stepTimings
          )
        }
        const progress = yield* Ref.make<StepProgress | null>(null)
        const leaseLost = yield* Deferred.make<void>()
        const lost = Deferred.succeed(leaseLost, undefined)

        // Progress is written behind the pipeline, `progressSpacing` after a report and at most that often: a step
        // never waits for the store, and reports that arrive meanwhile fold into the write (the row only ever shows the
        // latest). Writing each report in line cost a zero-latency email 8 store round trips on its critical path, and
        // writing the first one at once still put a write beside the job's first steps (issue 6's benchmark); a job
        // done within `progressSpacing` writes none.
        const unwritten = yield* Queue.sliding<StepProgress>(1)
        const report = (step: StepProgress) =>
          Ref.set(progress, step).pipe(Effect.zipRight(Queue.offer(unwritten, step)), Effect.asVoid)
        const writing = yield* Effect.gen(function* () {
          while (true) {
            const first = yield* Queue.take(unwritten)
            yield* Effect.sleep(progressSpacing)
            const step = Option.getOrElse(yield* Queue.poll(unwritten), () => first)
            const held = yield* repo
              .recordProgress(lease, step)
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
              .renew(lease)
              .pipe(
                Effect.catchAll((error) =>
                  Effect.logWarning("Worker: lease renewal failed; trying again", error).pipe(Effect.as(true))
                )
              )
            if (!held) return yield* lost
          }
        }).pipe(Effect.fork)

        const timeoutSeconds = Duration.toSeconds(options.taskTimeout)
        const generation: Effect.Effect<Outcome> = generator.generate(job, report).pipe(
          Effect.map((email): Outcome => ({ _tag: "Generated", email })),
          Effect.catchAll((error) => Effect.succeed<Outcome>({ _tag: "Failed", error })),
          // A defect is a bug: retrying would only spend upstream budget again.
          Effect.catchAllDefect((defect) =>
            Effect.succeed<Outcome>({
              _tag: "Failed",
              error: new GenerationFailed({
                message: `Unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
                type: "InternalError",
                failedStep: null,
                transient: false,
                retryAfterMs: null
              })
            })
          )
        )

        yield* Effect.logInfo(`Worker: attempt ${job.attempts} started`)
        const started = yield* Clock.currentTimeMillis
        const recordAttempt = (outcome: Metrics.AttemptOutcome) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Metrics.recordAttempt(outcome, (now - started) / 1000))
        // The time limit races the work like the lease and shutdown do (one race, not a second one around the work);
        // the loser is interrupted and awaited either way.
        const outcome = yield* Effect.raceAll([
          generation,
          Effect.sleep(options.taskTimeout).pipe(
            Effect.map(
              (): Outcome => ({
                _tag: "Failed",
                error: new GenerationFailed({
                  message: `The attempt was stopped at its ${timeoutSeconds} s time limit`,
                  type: "TimeoutError",
                  failedStep: null,
                  transient: true,
                  retryAfterMs: null
                })
              })
            )
          ),
          Deferred.await(leaseLost).pipe(Effect.as<Outcome>({ _tag: "LeaseLost" })),
          Deferred.await(stopping).pipe(
            Effect.zipRight(Effect.sleep(options.shutdownGrace)),
            Effect.as<Outcome>({ _tag: "Stopped" })
          )
        ])

        const last = yield* Ref.get(progress)
        const stepTimings = last?.stepTimings ?? job.stepTimings
        yield* Effect.uninterruptible(
          Effect.gen(function* () {
            switch (outcome._tag) {
              case "Generated":
                yield* complete(claim, outcome.email)
                return yield* recordAttempt("completed")
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
                const retried = yield* failed(claim, located, stepTimings)
                return yield* recordAttempt(retried ? "retried" : "failed")
              }
              case "LeaseLost":
                yield* recordAttempt("lease_lost")
                return yield* Effect.logWarning("Worker: lease lost; the attempt was stopped and its result dropped")
              case "Stopped":
                yield* recordAttempt("stopped")
                yield* Effect.logInfo("Worker: shutting down; the job goes back in line")
                yield* settleWrite(
                  "put the job back in line",
                  Effect.flatMap(currentDate, (now) => queue.release(lease, { availableAt: now, lastError: null }))
                )
                return
            }
          })
        ).pipe(Effect.ensuring(Fiber.interruptAll([renewing, writing])))
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

    /** Takes the next job, or `None` once stopping; a job claimed while stopping goes straight back in line. */
    const takeUnlessStopping = (workerId: string) =>
      Effect.gen(function* () {
        const taking = yield* Effect.fork(queue.take(workerId))
        const first = yield* Effect.raceFirst(
          Effect.map(Fiber.await(taking), Option.some),
          Effect.as(Deferred.await(stopping), Option.none())
        )
        if (Option.isSome(first)) return Exit.map(first.value, Option.some)
        const exit = yield* Fiber.interrupt(taking)
        if (Exit.isSuccess(exit)) {
          const now = yield* currentDate
          yield* queue.release(exit.value.lease, { availableAt: now, lastError: null }).pipe(Effect.ignore)
        }
        return Exit.succeed(Option.none<Claim>())
      })

    const slot = (index: number) =>
      Effect.gen(function* () {
        let taken = 0
        let failures = 0
        while (!(yield* Deferred.isDone(stopping))) {
          taken += 1
          const exit = yield* takeUnlessStopping(`${options.name}/${index}/${taken}`)
          if (Exit.isFailure(exit)) {
            failures += 1
            const backoff = Duration.millis(Math.min(5000, 100 * 2 ** Math.min(failures, 6)))
            yield* Effect.logWarning(`Worker: taking a job failed; retrying in ${Duration.format(backoff)}`, exit.cause)
            yield* Effect.raceFirst(Effect.sleep(backoff), Deferred.await(stopping))
            continue
          }
          failures = 0
          if (Option.isNone(exit.value)) return
          // A defect here is a bug in settling, not in the job: log it and keep the slot alive (the lease expires).
          yield* run(exit.value.value).pipe(
            Effect.catchAllCause((cause) =>
              Cause.isInterruptedOnly(cause)
                ? Effect.failCause(cause)
                : Effect.logError("Worker: job run crashed", cause)
            )
          )
        }
      }).pipe(Effect.annotateLogs({ slot: index }))

    const slots = yield* Effect.forEach(
      Array.from({ length: options.concurrency }, (_, i) => i),
      (i) => Effect.forkScoped(slot(i))
    )
    yield* Effect.logInfo(`Worker ${options.name} started with concurrency ${options.concurrency}`)

    // Runs before the slots are interrupted (finalizers run in reverse order): stop taking, let running jobs finish
    // within the grace period (after which they put their job back in line), then let the scope interrupt the rest.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Deferred.succeed(stopping, undefined)
        yield* Fiber.awaitAll(slots).pipe(Effect.timeout(Duration.sum(options.shutdownGrace, Duration.seconds(15))))
        yield* Effect.logInfo(`Worker ${options.name} stopped`)
      }).pipe(Effect.ignore)
    )
  })

/** The worker as a scoped layer: its loops run while the layer's scope is open and stop cleanly when it closes. */
export const layer = (options: WorkerOptions): Layer.Layer<never, never, JobQueue | Repo | Generator> =>
  Layer.scopedDiscard(make(options))

/** `layer` with its options from the environment (see `config`). */
export const layerConfig = Layer.unwrapEffect(Effect.map(config, layer))
