import { type LlmScript, Reply } from "@scribe/adapters/testkit/FakeLlm"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as World from "@scribe/adapters/testkit/World"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import { cliBundle, removeBundle, runCli, type Service, startService, tokenFor } from "./Harness"

/**
 * A test file's service: the embedded default as a child process (in memory, 4 workers) over the simulated world, and
 * the CLI bundle, both ready before the first test. The world's LLM fails for any recipient called Doomed (the
 * provider refuses the key: a permanent failure), and waits, for recipients carrying a marker given to `hold`, until
 * the test releases them — so a test can look at a run mid-way.
 */
export const useService = () => {
  const holds = new Map<string, { readonly promise: Promise<void>; readonly release: () => void }>()
  const model = pipelineModel({
    override: (request) => (request.prompt.includes("Doomed") ? Reply.invalidApiKey() : undefined)
  })
  const script: LlmScript = async (request) => {
    for (const [marker, held] of holds) if (request.prompt.includes(marker)) await held.promise
    return model(request)
  }
  const scope = Effect.runSync(Scope.make())
  let world: World.WorldService | undefined
  let service: Service | undefined

  beforeAll(async () => {
    world = await Effect.runPromise(Scope.extend(World.make({ scale: 0.02 }), scope))
    world.llm.setScript(script)
    ;[service] = await Promise.all([startService({ ...world.env, SCRIBE_WORKER_CONCURRENCY: "4" }), cliBundle()])
  }, 120_000)

  afterAll(async () => {
    for (const held of holds.values()) held.release()
    await service?.stop()
    await removeBundle()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  const current = () => {
    if (service === undefined) throw new Error("the service is not started")
    return service
  }
  return {
    service: current,
    world: () => world as World.WorldService,
    /** Holds every LLM call whose prompt contains `marker`; call the result to let them go. */
    hold: (marker: string) => {
      let release = () => {}
      const promise = new Promise<void>((resolve) => {
        release = resolve
      })
      holds.set(marker, { promise, release })
      return release
    },
    /** A token for a user of its own. */
    newUser: () => tokenFor(crypto.randomUUID()),
    /** `scribe <args…> --url <service>` as the user of `token`, in `cwd`, with pipes (not a terminal). */
    scribe: (token: string, cwd: string, ...args: ReadonlyArray<string>) =>
      runCli([...args, "--url", current().url], { cwd, env: { SCRIBE_TOKEN: token } })
  }
}
