/**
 * Calls that answer many questions at once, shared by everyone who asks. A question goes out at once when the
 * source has room (`concurrency` groups under way), so the first asker never waits; questions asked meanwhile queue
 * and leave together in groups of `maxGroup` as room frees up. Asking what is already queued or under way waits for
 * that answer instead of asking again.
 *
 * Questions asked in the background (a batch's lookups ahead of its jobs) queue behind the others and, when the
 * source has room for more than one call, never hold every place: a job that asks always finds a place free, and its
 * group is filled up with background questions.
 */
import { Deferred, Effect, type Either, Exit, type Scope } from "effect"

export interface Options<Q, A, E> {
  readonly maxGroup: number
  readonly concurrency: number
  readonly keyOf: (question: Q) => string
  /** Answers a group, in the group's order. */
  readonly call: (questions: ReadonlyArray<Q>) => Effect.Effect<ReadonlyArray<A>, E>
}

export interface GroupedCalls<Q, A, E> {
  readonly ask: (question: Q) => Effect.Effect<A, E>
  /** Asks all at once (they leave in the same groups), each answer or failure in the questions' order. */
  readonly askAll: (
    questions: ReadonlyArray<Q>,
    options?: { readonly background?: boolean }
  ) => Effect.Effect<ReadonlyArray<Either.Either<A, E>>>
}

interface Waiting<Q, A, E> {
  readonly key: string
  readonly question: Q
  readonly answer: Deferred.Deferred<A, E>
  background: boolean
}

/** The calls run in `scope` (the layer's), so an asker that is interrupted does not cut off the others' answers. */
export const make = <Q, A, E>(options: Options<Q, A, E>): Effect.Effect<GroupedCalls<Q, A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const maxGroup = Math.max(1, options.maxGroup)
    const concurrency = Math.max(1, options.concurrency)
    const backgroundPlaces = Math.max(1, concurrency - 1)
    const urgent: Array<Waiting<Q, A, E>> = []
    let background: Array<Waiting<Q, A, E>> = []
    /** Queued or under way, by key. */
    const known = new Map<string, Waiting<Q, A, E>>()
    let running = 0
    let runningBackground = 0

    const send = (group: ReadonlyArray<Waiting<Q, A, E>>, backgroundOnly: boolean): Effect.Effect<void> =>
      options.call(group.map((w) => w.question)).pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.forEach(
            group,
            (w, i) => {
              const answer: Exit.Exit<A, E> = Exit.isSuccess(exit)
                ? i < exit.value.length
                  ? Exit.succeed(exit.value[i]!)
                  : Exit.die(new Error(`a grouped call answered ${exit.value.length} of ${group.length} questions`))
                : Exit.failCause(exit.cause)
              return Deferred.done(w.answer, answer)
            },
            { discard: true }
          )
        ),
        Effect.ensuring(
          Effect.suspend(() => {
            for (const w of group) known.delete(w.key)
            running -= 1
            if (backgroundOnly) runningBackground -= 1
            return pump
          })
        )
      )

    const pump: Effect.Effect<void> = Effect.suspend(() => {
      const groups: Array<readonly [ReadonlyArray<Waiting<Q, A, E>>, boolean]> = []
      while (running < concurrency) {
        const backgroundOnly = urgent.length === 0
        if (backgroundOnly && (background.length === 0 || runningBackground >= backgroundPlaces)) break
        const group = urgent.splice(0, maxGroup)
        group.push(...background.splice(0, maxGroup - group.length))
        running += 1
        if (backgroundOnly) runningBackground += 1
        groups.push([group, backgroundOnly])
      }
      // Forked from the uninterruptible registration: the call itself must stay interruptible (races, shutdown).
      return Effect.forEach(
        groups,
        ([group, backgroundOnly]) => Effect.forkIn(Effect.interruptible(send(group, backgroundOnly)), scope),
        { discard: true }
      )
    })

    const enqueue = (question: Q, inBackground: boolean): Effect.Effect<Deferred.Deferred<A, E>> =>
      Effect.suspend(() => {
        const key = options.keyOf(question)
        const existing = known.get(key)
        if (existing !== undefined) {
          // Someone needs what the background only meant to fetch ahead: it moves to the front.
          if (!inBackground && existing.background && background.includes(existing)) {
            background = background.filter((w) => w !== existing)
            existing.background = false
            urgent.push(existing)
          }
          return Effect.succeed(existing.answer)
        }
        return Effect.map(Deferred.make<A, E>(), (answer) => {
          const waiting: Waiting<Q, A, E> = { key, question, answer, background: inBackground }
          known.set(key, waiting)
          if (inBackground) background.push(waiting)
          else urgent.push(waiting)
          return answer
        })
      })

    // Registering is uninterruptible, so a question is never left queued without the pump that sends it.
    const register = (questions: ReadonlyArray<Q>, inBackground: boolean) =>
      Effect.uninterruptible(
        Effect.zipLeft(
          Effect.forEach(questions, (q) => enqueue(q, inBackground)),
          pump
        )
      )

    const ask = (question: Q): Effect.Effect<A, E> =>
      Effect.flatMap(register([question], false), ([answer]) => Deferred.await(answer!))

    const askAll = (questions: ReadonlyArray<Q>, askOptions: { readonly background?: boolean } = {}) =>
      Effect.flatMap(register(questions, askOptions.background ?? false), (answers) =>
        Effect.forEach(answers, (answer) => Effect.either(Deferred.await(answer)), { concurrency: "unbounded" })
      )

    return { ask, askAll }
  })
