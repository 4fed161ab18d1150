/**
 * Calls that answer many questions at once, shared by everyone who asks. A question goes out at once when the
 * source has room (`concurrency` groups under way), so the first asker never waits; questions asked meanwhile queue
 * and leave together in groups of `maxGroup` as room frees up. Asking what is already queued or under way waits for
 * that answer instead of asking again.
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
  readonly askAll: (questions: ReadonlyArray<Q>) => Effect.Effect<ReadonlyArray<Either.Either<A, E>>>
}

interface Waiting<Q, A, E> {
  readonly key: string
  readonly question: Q
  readonly answer: Deferred.Deferred<A, E>
}

/** The calls run in `scope` (the layer's), so an asker that is interrupted does not cut off the others' answers. */
export const make = <Q, A, E>(options: Options<Q, A, E>): Effect.Effect<GroupedCalls<Q, A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const queued: Array<Waiting<Q, A, E>> = []
    const known = new Map<string, Deferred.Deferred<A, E>>()
    let running = 0

    const send = (group: ReadonlyArray<Waiting<Q, A, E>>): Effect.Effect<void> =>
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
            return pump
          })
        )
      )

    const pump: Effect.Effect<void> = Effect.suspend(() => {
      const groups: Array<ReadonlyArray<Waiting<Q, A, E>>> = []
      while (running < options.concurrency && queued.length > 0) {
        running += 1
        groups.push(queued.splice(0, Math.max(1, options.maxGroup)))
      }
      return Effect.forEach(groups, (group) => Effect.forkIn(send(group), scope), { discard: true })
    })

    const enqueue = (question: Q): Effect.Effect<Deferred.Deferred<A, E>> =>
      Effect.suspend(() => {
        const key = options.keyOf(question)
        const existing = known.get(key)
        if (existing !== undefined) return Effect.succeed(existing)
        return Effect.map(Deferred.make<A, E>(), (answer) => {
          known.set(key, answer)
          queued.push({ key, question, answer })
          return answer
        })
      })

    // Registering is uninterruptible, so a question is never left queued without the pump that sends it.
    const register = (questions: ReadonlyArray<Q>) =>
      Effect.uninterruptible(Effect.zipLeft(Effect.forEach(questions, enqueue), pump))

    const ask = (question: Q): Effect.Effect<A, E> =>
      Effect.flatMap(register([question]), ([answer]) => Deferred.await(answer!))

    const askAll = (questions: ReadonlyArray<Q>) =>
      Effect.flatMap(register(questions), (answers) =>
        Effect.forEach(answers, (answer) => Effect.either(Deferred.await(answer)), { concurrency: "unbounded" })
      )

    return { ask, askAll }
  })
