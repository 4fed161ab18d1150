import * as Polling from "@scribe/client/Polling"
import { ScribeClient } from "@scribe/client/ScribeClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { Batch } from "./Batches"
import type { LiveOutput } from "./LiveOutput"
import * as ProgressView from "./ProgressView"
import { plural } from "./Words"

export interface RunInput {
  readonly batches: ReadonlyArray<Batch>
  readonly template: string
  readonly output: LiveOutput
}

const initial = (batches: ReadonlyArray<Batch>): ProgressView.RunView => ({
  batches: batches.map((batch) => ({
    index: batch.index,
    firstRow: batch.firstRow,
    lastRow: batch.lastRow,
    size: batch.recipients.length,
    ids: undefined,
    note: undefined
  })),
  items: new Map()
})

const submitted = (run: ProgressView.RunView, batch: Batch, ids: ReadonlyArray<string>): ProgressView.RunView => {
  const items = new Map(run.items)
  batch.recipients.forEach((recipient, i) => {
    const id = ids[i]
    if (id === undefined) return
    items.set(id, ProgressView.queuedItem(id, recipient))
  })
  return {
    items,
    batches: run.batches.map((view) => (view.index === batch.index ? { ...view, ids, note: undefined } : view))
  }
}

const noted = (run: ProgressView.RunView, index: number, note: string): ProgressView.RunView => ({
  ...run,
  batches: run.batches.map((view) => (view.index === index ? { ...view, note } : view))
})

const clockTime = (millis: number) => new Date(millis).toTimeString().slice(0, 8)

/**
 * Submits the batches in file order, each with its own Idempotency-Key, and watches every submitted job through the
 * client's 2-second polling until all have finished. A batch the server's limits refuse (429) waits for the
 * `Retry-After` it was given, while the batches already submitted are watched; then it is submitted again under the
 * same key. `state` always holds the latest view, so an interrupted run can still say (and cancel) what is pending.
 */
export const run = (input: RunInput, state: Ref.Ref<ProgressView.RunView>) =>
  Effect.gen(function* () {
    const client = yield* ScribeClient
    yield* Ref.set(state, initial(input.batches))
    const show = Effect.flatMap(Ref.get(state), input.output.update)
    let next = 0
    while (true) {
      let retryAt: number | undefined
      while (next < input.batches.length && retryAt === undefined) {
        const batch = input.batches[next]!
        const outcome = yield* client
          .submitBatch(
            {
              email_template: input.template,
              items: batch.recipients.map((r) => ({ recipient_name: r.name, recipient_interest: r.interest }))
            },
            { idempotencyKey: batch.idempotencyKey }
          )
          .pipe(
            Effect.map((result) => Either.right(result.queue_item_ids)),
            Effect.catchTags({
              TooManyActiveJobs: (e) =>
                Effect.succeed(
                  Either.left({
                    seconds: e.retryAfterSeconds,
                    why: `the server allows ${e.max} unfinished jobs per user`
                  })
                ),
              SubmissionRateLimited: (e) =>
                Effect.succeed(
                  Either.left({ seconds: e.retryAfterSeconds, why: `the server takes ${e.limit} submissions a minute` })
                )
            })
          )
        if (Either.isRight(outcome)) {
          yield* Ref.update(state, (view) => submitted(view, batch, outcome.right))
          yield* input.output.message(
            `Batch ${batch.index}/${input.batches.length} (rows ${batch.firstRow}–${batch.lastRow}): submitted, ${plural(outcome.right.length, "job")}`
          )
          next++
        } else {
          retryAt = (yield* Clock.currentTimeMillis) + outcome.left.seconds * 1000
          yield* Ref.update(state, (view) =>
            noted(view, batch.index, `waiting: ${outcome.left.why}; submitting again at ${clockTime(retryAt ?? 0)}`)
          )
        }
        yield* show
      }
      const watched = (yield* Ref.get(state)).batches.flatMap((batch) => batch.ids ?? [])
      const snapshots = Polling.watchBatch(watched).pipe(
        Stream.tap((snapshot) =>
          Ref.update(state, (view) => ProgressView.applySnapshot(view, snapshot, watched)).pipe(Effect.zipRight(show))
        ),
        Stream.runDrain
      )
      if (retryAt === undefined) {
        yield* snapshots
        return yield* Ref.get(state)
      }
      const wait = Duration.millis(Math.max(0, retryAt - (yield* Clock.currentTimeMillis)))
      // Watch until it is time to submit again; if everything submitted finishes first, just wait.
      yield* Effect.raceFirst(Effect.zipRight(snapshots, Effect.never), Effect.sleep(wait))
    }
  })

/** Cancels the jobs still pending; returns how many were cancelled and how many could not be (started meanwhile). */
export const cancelPending = (view: ProgressView.RunView) =>
  Effect.gen(function* () {
    const client = yield* ScribeClient
    const pending = [...view.items.values()].filter((item) => item.status === "pending")
    const outcomes = yield* Effect.forEach(
      pending,
      (item) =>
        client.cancel(item.id).pipe(
          Effect.as(true),
          Effect.catchAll(() => Effect.succeed(false))
        ),
      { concurrency: 4 }
    )
    const cancelled = outcomes.filter(Boolean).length
    return { cancelled, notCancelled: pending.length - cancelled }
  })
