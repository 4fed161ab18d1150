import { layer } from "@effect/vitest"
import { Reply } from "@scribe/adapters/testkit/FakeLlm"
import * as People from "@scribe/adapters/testkit/People"
import { type Behaviour, pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as World from "@scribe/adapters/testkit/World"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { emailOf, finished, layerApp, newUserToken, submit, template } from "./EndToEnd"
import { call } from "./TestServer"

/** Issue 4's acceptance end to end: the whole service, every upstream simulated (see `layerApp`). */
const App = layerApp({
  env: { SCRIBE_WORKER_NAME: "e2e", SCRIBE_RETRY_BASE_SECONDS: "0.2", SCRIBE_RETRY_MAX_SECONDS: "2" }
})

type Email = {
  email_message: string
  is_confident: boolean
  metadata: {
    papers_used: Array<{ title: string }>
    sources: Array<string>
    step_timings: Record<string, number>
    composer: string
    checks: { passed: boolean; failed: Array<string>; regenerations: number; sanitised: boolean }
  }
}

/** Generates one email for `recipient` with the model behaving as told; returns the task and, on success, the email. */
const generate = (person: People.Person, behaviour: Behaviour = {}, emailTemplate = template) =>
  Effect.gen(function* () {
    const world = yield* World.World
    world.llm.setScript(pipelineModel(behaviour))
    const token = yield* newUserToken()
    const { task } = yield* submit(token, person, emailTemplate)
    if (task.status !== "SUCCESS") return { task, email: undefined }
    return { task, email: yield* emailOf<Email>(token, task) }
  })

const titles = (person: People.Person) => person.papers.map((p) => p.title.replace(/\s+/g, " "))

layer(App, { timeout: "120 seconds", excludeTestServices: true })("generation end to end", (it) => {
  describe("research, grounding and confidence", () => {
    it.effect("a professor with three known papers: every placeholder filled, real papers only, known sources", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        const { task, email } = yield* generate(People.ada)
        expect(task.status).toBe("SUCCESS")
        expect(Object.keys(task.result?.step_timings as object).sort()).toEqual(
          ["arxiv_helper", "email_composer", "template_parser", "web_scraper"].sort()
        )
        const message = email!.email_message
        expect(message).not.toMatch(/\{\{|\}\}/)
        expect(titles(People.ada).some((t) => message.includes(t))).toBe(true)
        expect(email!.metadata.papers_used.length).toBeGreaterThan(0)
        for (const paper of email!.metadata.papers_used) expect(titles(People.ada)).toContain(paper.title)
        const served = new Set(world.web.served().map((url) => new URL(url, world.url("/")).href))
        for (const source of email!.metadata.sources) expect(served).toContain(source)
        expect(email!.metadata.sources.length).toBeGreaterThan(0)
        expect(email!.is_confident).toBe(true)
      })
    )

    it.effect("a fabricated title is caught and regenerated away", () =>
      Effect.gen(function* () {
        const fake = "Quantum Gravity for Mechanical Looms"
        const { email } = yield* generate(People.ada, { fabricate: { title: fake, always: false } })
        expect(email!.email_message).not.toContain(fake)
        expect(email!.metadata.checks.regenerations).toBeGreaterThanOrEqual(1)
        expect(email!.metadata.checks.passed).toBe(true)
      })
    )

    it.effect(
      "a model that keeps fabricating: stored without the title, not confident, the failed check recorded",
      () =>
        Effect.gen(function* () {
          const fake = "Quantum Gravity for Mechanical Looms"
          const { email } = yield* generate(People.ada, { fabricate: { title: fake, always: true } })
          expect(email!.email_message).not.toContain(fake)
          expect(email!.is_confident).toBe(false)
          expect(email!.metadata.checks.failed).toContain("papers_grounded")
        })
    )

    it.effect("a homonym's papers never appear", () =>
      Effect.gen(function* () {
        for (const [person, other] of [
          [People.ada, People.alan],
          [People.alan, People.ada]
        ] as const) {
          const { email } = yield* generate(person)
          const used = email!.metadata.papers_used.map((p) => p.title)
          for (const title of titles(other)) {
            expect(used).not.toContain(title)
            expect(email!.email_message).not.toContain(title)
          }
        }
      })
    )

    it.effect("no evidence at all: an email still, not confident", () =>
      Effect.gen(function* () {
        const { task, email } = yield* generate(People.nobody)
        expect(task.status).toBe("SUCCESS")
        expect(email!.email_message).not.toMatch(/\{\{|\}\}/)
        expect(email!.metadata.papers_used).toEqual([])
        expect(email!.is_confident).toBe(false)
      })
    )

    it.effect("a prompt-injection page: the email carries neither its content nor its link", () =>
      Effect.gen(function* () {
        const { task, email } = yield* generate(People.mallory, { obeyInjection: true })
        expect(task.status).toBe("SUCCESS")
        // the model did obey the page: the checks had to reject its drafts
        expect(email!.metadata.checks.regenerations).toBeGreaterThan(0)
        for (const marker of People.injectionMarkers) {
          expect(email!.email_message.toLowerCase()).not.toContain(marker.toLowerCase())
        }
      })
    )
  })

  describe("upstream failures", () => {
    it.effect("429 with Retry-After: the job waits and succeeds", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        let limited = 0
        const { task } = yield* generate(People.ada, {
          override: (request) =>
            request.schemaName === "email_draft" && limited++ === 0
              ? Reply.rateLimited({ retryAfterSeconds: 1 })
              : undefined
        })
        expect(task.status).toBe("SUCCESS")
        expect(world.llm.requests.some((r) => r.status === 429)).toBe(true)
      })
    )

    it.effect("a revoked key or an exhausted quota fails the job at once, naming the step", () =>
      Effect.gen(function* () {
        for (const [reply, type] of [
          [Reply.invalidApiKey(), "AuthenticationError"],
          [Reply.insufficientQuota(), "QuotaExceeded"]
        ] as const) {
          const { task } = yield* generate(People.ada, {
            override: (request) => (request.schemaName === "email_draft" ? reply : undefined)
          })
          expect(task.status).toBe("FAILURE")
          expect(task.error).toMatchObject({ type, failed_step: "email_composer" })
        }
      })
    )

    it.effect("malformed JSON from the model is retried and never stored as the email", () =>
      Effect.gen(function* () {
        let broken = 0
        const garbage = 'Sure! Here is the JSON you asked for: {"email": "Dear'
        const { task, email } = yield* generate(People.ada, {
          override: (request) =>
            request.schemaName === "email_draft" && broken++ < 2 ? Reply.malformed(garbage) : undefined
        })
        expect(task.status).toBe("SUCCESS")
        expect(email!.email_message).not.toContain("Here is the JSON")
        expect(email!.email_message).toContain("Dear Ada Lovelace")
      })
    )
  })

  describe("batches", () => {
    it.effect("a 10-item batch with one template analyses the template once", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        world.llm.setScript(pipelineModel())
        const batchTemplate = `Hello {{name}}, your work on {{research}} inspired me. (${crypto.randomUUID()})`
        const before = world.llm.calls("template_parser")
        const token = yield* newUserToken()
        const people = [People.ada, People.alan, People.nobody, People.mallory]
        const items = Array.from({ length: 10 }, (_, i) => {
          const person = people[i % people.length]!
          return { recipient_name: person.asTyped, recipient_interest: person.interest }
        })
        const created = yield* call("POST", "/api/queue/batch", {
          token,
          json: { email_template: batchTemplate, items }
        })
        expect(created.status).toBe(201)
        for (const id of (created.body as { queue_item_ids: Array<string> }).queue_item_ids) {
          expect((yield* finished(token, id)).status).toBe("SUCCESS")
        }
        expect(world.llm.calls("template_parser") - before).toBe(1)
      })
    )
  })
})
