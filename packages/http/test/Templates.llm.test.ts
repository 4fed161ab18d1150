import { describe, expect, layer } from "@effect/vitest"
import * as PdfjsText from "@scribe/adapters/pdf/PdfjsText"
import * as SafePdfFetcher from "@scribe/adapters/scraper/SafePdfFetcher"
import * as FakeLlm from "@scribe/adapters/testkit/FakeLlm"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import * as World from "@scribe/adapters/testkit/World"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import * as OpenAiLlm from "@scribe/adapters/upstream/OpenAiLlm"
import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as LlmTemplateWriter from "@scribe/core/templates/LlmTemplateWriter"
import * as TemplateLimit from "@scribe/core/templates/TemplateLimit"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option, Redacted } from "effect"
import { resumeUrl, signIn, worldWithResumes } from "./AccountsFixtures"
import { call, generousLimits, hs256, layerAppWithServices } from "./TestServer"

const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(AccountsMemory.layerOver.pipe(Layer.provide(RepoMemory.layer)), healthy)

/** The accounts' services with a language model: the simulated world's OpenAI-compatible API, over real HTTP. */
const withLlm = Layer.unwrapEffect(
  Effect.map(World.World, (world) =>
    Layer.mergeAll(
      LlmTemplateWriter.layer.pipe(
        Layer.provide(
          OpenAiLlm.layer({
            apiKey: Redacted.make("sk-testkit"),
            baseUrl: world.llm.baseUrl,
            model: "gpt-4o-mini",
            requestsPerMinute: 1000,
            tokensPerMinute: 1_000_000
          })
        ),
        Layer.provide(Budgets.layerMemory)
      ),
      SafePdfFetcher.layer({ allowPrivate: false, ...Resumes.publicSeams }),
      PdfjsText.layer(),
      TemplateLimit.layer(5),
      AdminAccess.layer([])
    )
  )
)

const good =
  "Dear {{name}},\n\nI am Sam Rivera, a computer science student. Your work on {{research}} relates to my research on shortest paths.\n\nBest regards,\nSam Rivera"
const instructions = "Short, warm, and mention my graph research."

layer(
  Layer.mergeAll(layerAppWithServices(stores, hs256, generousLimits, withLlm), stores).pipe(
    Layer.provideMerge(worldWithResumes)
  ),
  { timeout: "120 seconds", excludeTestServices: true }
)("résumé templates written by a language model", (it) => {
  describe("POST /api/templates", () => {
    it.effect("the model writes from the résumé, fenced as data; the template is labelled llm", () =>
      Effect.gen(function* () {
        const world = yield* World.fresh
        world.llm.setScript(() => FakeLlm.Reply.text(good))
        const { token } = yield* signIn()
        const created = yield* call("POST", "/api/templates/", {
          token,
          json: { pdf_url: yield* resumeUrl(Resumes.Paths.resume), user_instructions: instructions }
        })
        expect(created).toMatchObject({ status: 201, body: { template_text: good, generator: "llm" } })
        expect(world.llm.requests).toHaveLength(1)
        const request = world.llm.requests[0]!
        expect(request.step).toBe("email_composer")
        expect(request.prompt).toContain(`<<<RESUME>>>\n${Resumes.student.name}`)
        expect(request.prompt).toContain(Resumes.student.publication)
        expect(request.prompt).toContain(`<<<INSTRUCTIONS>>>\n${instructions}`)
      })
    )

    it.effect("a refused draft is written once more, with the reason", () =>
      Effect.gen(function* () {
        const world = yield* World.fresh
        world.llm.setScript((request) =>
          FakeLlm.Reply.text(
            request.stepIndex === 0 ? "```\nDear {{name}}, I like your work. Best, [Your Name]\n```" : good
          )
        )
        const { token } = yield* signIn()
        const created = yield* call("POST", "/api/templates/", {
          token,
          json: { pdf_url: yield* resumeUrl(Resumes.Paths.resume), user_instructions: instructions }
        })
        expect(created).toMatchObject({ status: 201, body: { template_text: good, generator: "llm" } })
        expect(world.llm.requests).toHaveLength(2)
        expect(world.llm.requests[1]!.prompt).toContain("refused because it lacks {{research}}")
      })
    )

    it.effect("refused twice, or the model failing, is 400 and nothing is stored", () =>
      Effect.gen(function* () {
        const world = yield* World.fresh
        const { token } = yield* signIn()
        const create = Effect.flatMap(resumeUrl(Resumes.Paths.resume), (pdf_url) =>
          call("POST", "/api/templates/", { token, json: { pdf_url, user_instructions: instructions } })
        )
        world.llm.setScript(() => FakeLlm.Reply.text("Dear {{name}}, about {{research}} and {{paper}}. Best, Sam"))
        expect(yield* create).toEqual({
          status: 400,
          body: {
            detail:
              "Template generation failed: the generated template was refused twice, last because it uses " +
              "placeholders other than {{name}} and {{research}}: {{paper}}"
          }
        })
        world.llm.setScript(() => FakeLlm.Reply.invalidApiKey())
        const failed = yield* create
        expect(failed.status).toBe(400)
        expect((failed.body as { detail: string }).detail).toMatch(
          /^Template generation failed: the language model failed/
        )
        expect(yield* call("GET", "/api/templates/", { token })).toEqual({ status: 200, body: [] })
      })
    )
  })
})
