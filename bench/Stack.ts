/**
 * Scribe composed for the benchmarks, from the same layers its roots use: in one process (the API and a worker over
 * embedded PGlite or Postgres, as `pnpm start` runs), or the API alone in a process of its own
 * (`bench/processes/api.ts`) beside the standalone worker (`packages/worker/src/main.ts`).
 */
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import { layerNode } from "@scribe/http/Server"
import * as PipelineLive from "@scribe/wiring/PipelineLive"
import * as Stores from "@scribe/wiring/Stores"
import { makeWorkerLayer } from "@scribe/wiring/WorkerLive"
import { ConfigProvider, Effect, Layer, Option, type Scope, Tracer } from "effect"
import { authOptions } from "./Fixtures"
import { freePort } from "./Harness"

/**
 * The API as `pnpm start` serves it (`layerNode`: routes, submission limits from the environment) on 127.0.0.1:`port`
 * over `stores`, verifying the benchmark's HS256 tokens.
 */
export const apiLayer = <E>(stores: Layer.Layer<Stores.Stores, E>, port: number) =>
  layerNode({ port, host: "127.0.0.1" }).pipe(Layer.provide(SupabaseAuth.layer(authOptions)), Layer.provide(stores))

/**
 * A tracer that notes when each job's completing transaction (`JobLeases.complete`) ended, by job id: the instant its
 * email became visible, read without polling the API (which would take CPU from the process being measured).
 */
export const completionTracer = () => {
  const completed = new Map<string, number>()
  const waiters = new Map<string, (at: number) => void>()
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2),
        traceId: Option.isSome(parent) ? parent.value.traceId : Math.random().toString(16).slice(2),
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        end: () => {
          if (name !== "JobLeases.complete") return
          const at = performance.now()
          let cursor: Tracer.AnySpan | undefined = span
          while (cursor !== undefined) {
            const jobId =
              cursor._tag === "Span" ? (cursor.attributes.get("job.id") ?? cursor.attributes.get("jobId")) : undefined
            if (typeof jobId === "string") {
              completed.set(jobId, at)
              waiters.get(jobId)?.(at)
              return
            }
            cursor = cursor._tag === "Span" ? Option.getOrUndefined(cursor.parent) : undefined
          }
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return {
    layer: Layer.setTracer(tracer),
    /** When job `id`'s email was committed (`performance.now()`), waiting for it if need be. */
    completedAt: (id: string): Promise<number> =>
      new Promise((resolve) => {
        const at = completed.get(id)
        if (at !== undefined) return resolve(at)
        waiters.set(id, resolve)
      })
  }
}

/**
 * The API and a worker in this process over the stores `env` selects (`SCRIBE_DATA_DIR=memory`: PGlite in memory;
 * `DATABASE_URL`: Postgres), the upstreams `env` names. Returns the API's origin; everything stops with the scope.
 */
export const inProcess = (
  env: Record<string, string>,
  tracer: Layer.Layer<never> = Layer.empty
): Effect.Effect<string, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    const stores = Stores.layerConfig({ requireDatabaseUrl: false }).pipe(Layer.provide(config))
    const worker = makeWorkerLayer(PipelineLive.layerConfig).pipe(Layer.provide(config))
    const port = yield* Effect.promise(freePort)
    const app = Layer.mergeAll(apiLayer(stores, port), worker).pipe(Layer.provide(stores), Layer.provide(tracer))
    yield* Layer.build(app)
    return `http://127.0.0.1:${port}`
  })
