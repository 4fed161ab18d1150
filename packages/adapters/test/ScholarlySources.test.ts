import { expect, it, layer } from "@effect/vitest"
import { ScholarlySources } from "@scribe/core/upstream/ScholarlySource"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import * as ScholarlyHttp from "../src/scholarly/ScholarlyHttp"
import * as Sources from "../src/scholarly/ScholarlySources"
import * as Budgets from "../src/upstream/Budgets"
import * as LocalServer from "../testkit/LocalServer"
import * as People from "../testkit/People"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh } from "../testkit/World"

const order = (env: Record<string, string>) =>
  Sources.orderConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

it.effect("SCRIBE_SCHOLARLY_SOURCES: the order given; unset, all three, OpenAlex only with its key", () =>
  Effect.gen(function* () {
    expect(yield* order({})).toEqual(["semantic_scholar", "arxiv"])
    expect(yield* order({ OPENALEX_API_KEY: "k" })).toEqual(["openalex", "semantic_scholar", "arxiv"])
    expect(yield* order({ SCRIBE_SCHOLARLY_SOURCES: " arxiv, OpenAlex ", OPENALEX_API_KEY: "k" })).toEqual([
      "arxiv",
      "openalex"
    ])
    for (const [value, says] of [
      ["arxiv,scopus", 'unknown source(s) "scopus"'],
      ["arxiv,arxiv", "twice"],
      ["openalex", "needs OPENALEX_API_KEY"]
    ] as const) {
      const error = yield* Effect.flip(order({ SCRIBE_SCHOLARLY_SOURCES: value }))
      expect(String(error)).toContain("SCRIBE_SCHOLARLY_SOURCES")
      expect(String(error)).toContain(says)
    }
  })
)

it.effect("a bad URL or rate names its variable", () =>
  Effect.gen(function* () {
    const build = (env: Record<string, string>) =>
      Effect.flip(
        Effect.provide(
          ScholarlySources,
          Sources.layerConfig.pipe(
            Layer.provide(Budgets.layerMemory),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
          )
        )
      )
    expect(String(yield* build({ OPENALEX_API_KEY: "k", OPENALEX_API_URL: "ftp://x" }))).toContain("OPENALEX_API_URL")
    expect(String(yield* build({ SCRIBE_SEMANTIC_SCHOLAR_RPS: "fast" }))).toContain("SCRIBE_SEMANTIC_SCHOLAR_RPS")
  })
)

layer(WorldModule.layer({ arxiv: { minIntervalMs: 0 } }), { excludeTestServices: true })(
  "the configured sources",
  (it) => {
    it.effect("layerConfig builds the sources in order, each answering from its own world server", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const { sources } = yield* Effect.provide(
          ScholarlySources,
          Sources.layerConfig.pipe(
            Layer.provide(Budgets.layerMemory),
            Layer.provide(Layer.setConfigProvider(world.configProvider()))
          )
        )
        expect(sources.map((s) => s.name)).toEqual(["openalex", "semantic_scholar", "arxiv"])
        const asked = { name: People.ada.name, interest: People.ada.interest }
        const options = { since: new Date("2016-01-01"), maxWorks: 30 }
        for (const source of sources) {
          const [candidates] = yield* source.lookup([asked], options)
          expect(candidates!.length).toBeGreaterThan(0)
        }
        expect(world.openalex.accepted().length).toBeGreaterThan(0)
        expect(world.semanticScholar.accepted().length).toBeGreaterThan(0)
        expect(world.arxiv.accepted()).toHaveLength(1)
      })
    )
  }
)

it.live("ScholarlyHttp: statuses become the right failures, a long Retry-After is handed to the caller", () =>
  Effect.gen(function* () {
    const replies: Record<string, [number, string, Record<string, string>?]> = {
      "/ok": [200, '{"a":1}'],
      "/teapot": [400, '{"error":"Invalid filter","message":"Unknown filter field: author_name"}'],
      "/down": [502, "bad gateway"],
      "/slowdown": [429, "{}", { "retry-after": "120" }],
      "/html": [200, "<html></html>"],
      "/key": [401, '{"message":"Invalid API key"}']
    }
    const server = yield* LocalServer.make((entry, response) => {
      const [status, body, headers] = replies[entry.path] ?? [404, "{}"]
      response.writeHead(status, { "content-type": "application/json", ...headers }).end(body)
    })
    const http = yield* ScholarlyHttp.make({
      service: "openalex",
      label: "OpenAlex",
      budget: { key: "t", limit: 1, window: Duration.millis(1), algorithm: "token-bucket" },
      timeout: "2 seconds"
    }).pipe(Effect.provide(Budgets.layerMemory))
    const at = (path: string) => http.request({ url: new URL(path, server.origin) })
    expect(yield* at("/ok")).toEqual({ a: 1 })
    expect(yield* failure(at("/teapot"))).toEqual({
      kind: "invalid_request",
      message: "OpenAlex answered 400: Unknown filter field: author_name",
      retryAfterMs: null
    })
    expect(yield* failure(at("/down"))).toMatchObject({ kind: "unavailable", message: "OpenAlex answered 502" })
    expect(yield* failure(at("/slowdown"))).toMatchObject({ kind: "rate_limited", retryAfterMs: 120_000 })
    expect(yield* failure(at("/html"))).toMatchObject({ kind: "malformed_response" })
    expect(yield* failure(at("/key"))).toMatchObject({ kind: "auth" })
    expect(yield* failure(at("/nothing"))).toMatchObject({ kind: "not_found" })
  }).pipe(Effect.scoped)
)
