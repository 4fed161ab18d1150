import { hostname } from "node:os"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import type { Generator } from "@scribe/core/jobs/Generator"
import * as Worker from "@scribe/core/jobs/Worker"
import { Config, Effect, Layer } from "effect"
import * as Stores from "./Stores"
import * as WorkerConfig from "./WorkerConfig"

/** The worker with its options from the environment (named `<host>-<pid>` unless `SCRIBE_WORKER_NAME` says). */
const WorkerConfigured = Layer.unwrapEffect(
  Effect.map(WorkerConfig.makeConfig(`${hostname()}-${process.pid}`), Worker.layer)
)

/**
 * The worker, composed around the `Generator` it runs (the pipeline in production, a scripted one in tests). The
 * generator gets the upstream budgets (`RateLimiter`: Redis when `REDIS_URL` is set); the worker needs the stores
 * (`Repo`, `JobQueue`) from the root that embeds it.
 */
export const makeWorkerLayer = <E, R>(generator: Layer.Layer<Generator, E, R>) =>
  WorkerConfigured.pipe(Layer.provide(generator.pipe(Layer.provide(Budgets.layerConfig))))

/** Whether the API process runs a worker beside it (`SCRIBE_EMBEDDED_WORKER`, default on). */
export const embeddedWorker = Config.boolean("SCRIBE_EMBEDDED_WORKER").pipe(Config.withDefault(true))

/**
 * The API's embedded worker: `makeWorkerLayer` unless `SCRIBE_EMBEDDED_WORKER=false`, in which case the API only
 * queues jobs and standalone workers take them.
 */
export const makeEmbeddedWorkerLayer = <E, R>(generator: Layer.Layer<Generator, E, R>) =>
  Layer.unwrapEffect(Effect.map(embeddedWorker, (enabled) => (enabled ? makeWorkerLayer(generator) : Layer.empty)))

/** A worker process on its own: stores from `DATABASE_URL` (required) and `REDIS_URL`. */
export const makeStandaloneLayer = <E, R>(generator: Layer.Layer<Generator, E, R>) =>
  makeWorkerLayer(generator).pipe(Layer.provide(Stores.layerConfig({ requireDatabaseUrl: true })))
