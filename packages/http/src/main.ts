import { NodeRuntime } from "@effect/platform-node"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import * as Telemetry from "@scribe/adapters/ops/Telemetry"
import * as PipelineLive from "@scribe/wiring/PipelineLive"
import { reportStartupFailure } from "@scribe/wiring/StartupErrors"
import * as Stores from "@scribe/wiring/Stores"
import { makeEmbeddedWorkerLayer } from "@scribe/wiring/WorkerLive"
import { Config, Console, Effect, Layer, Option } from "effect"
import { layerNode } from "./Server"

const HttpConfig = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(8000)),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
})

/** With no auth configured (outside production) print a token that works against this very process. */
const PrintDevToken = Layer.effectDiscard(
  Effect.gen(function* () {
    const { port, host } = yield* HttpConfig
    const dev = yield* SupabaseAuth.DevAuth
    const base = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`
    yield* Console.log(`Scribe is listening on ${base} (web console: ${base}/, API docs: ${base}/docs)`)
    if (Option.isSome(dev.mintToken)) {
      const token = yield* dev.mintToken.value({ id: "00000000-0000-4000-8000-000000000001", email: "dev@localhost" })
      const validity = Option.match(dev.secretFile, {
        onNone: () => "valid for this process only",
        onSome: (file) => `valid for 30 days, across restarts, while ${file} is kept`
      })
      yield* Console.log(`Dev token (${validity}):\nexport SCRIBE_TOKEN=${token}`)
    }
  })
)

// The address and token are printed once the server is up, never before a failure to start.
const ApiLive = PrintDevToken.pipe(
  Layer.provideMerge(Layer.unwrapEffect(Effect.map(HttpConfig, layerNode))),
  Layer.provide(SupabaseAuth.layerConfig)
)

// Embedded: the API and a worker in one process, over the same stores (PGlite and in-process dispatch by default;
// DATABASE_URL / REDIS_URL switch to Postgres / Redis dispatch, and more workers can then run elsewhere;
// SCRIBE_EMBEDDED_WORKER=false leaves the jobs to them).
// Logs and traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set) cover everything built below.
const MainLive = Layer.mergeAll(ApiLive, makeEmbeddedWorkerLayer(PipelineLive.layerConfig)).pipe(
  Layer.provide(Stores.layerConfig({ requireDatabaseUrl: false })),
  Layer.provide(Telemetry.layerConfig("scribe-api"))
)

// Our logger replaces the default one (runMain would add its pretty logger beside it); a failure to start is
// reported by `reportStartupFailure` (bad configuration as one sentence per problem), and exits non-zero.
NodeRuntime.runMain(Layer.launch(MainLive).pipe(reportStartupFailure), {
  disablePrettyLogger: true,
  disableErrorReporting: true
})
