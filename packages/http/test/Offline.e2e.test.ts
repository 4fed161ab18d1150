import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { emailOf, finished, layerApp, newUserToken } from "./EndToEnd"
import { call } from "./TestServer"

/**
 * The embedded default offline: no language model, and no upstream answers — the scholarly sources' hosts do not
 * resolve or refuse connections, and so does the search engine. Emails are still written, fast, honestly.
 */
const unreachable = {
  OPENAI_API_KEY: "",
  OPENAI_BASE_URL: "",
  SEARXNG_URL: "http://127.0.0.1:9/",
  ARXIV_API_URL: "http://export.arxiv.invalid/api/query",
  OPENALEX_API_URL: "http://127.0.0.1:9",
  SEMANTIC_SCHOLAR_API_URL: "http://api.semanticscholar.invalid/graph/v1",
  // The real spacing: without the breaker, each job would wait its 3 s turn to fail.
  SCRIBE_ARXIV_MIN_INTERVAL_MS: "3000"
}

const App = layerApp({ env: { SCRIBE_WORKER_NAME: "e2e-offline", ...unreachable } })

type Email = {
  email_message: string
  is_confident: boolean
  metadata: {
    composer: string
    warnings: Array<string>
    checks: { passed: boolean; failed: Array<string> }
    confidence: { is_confident: boolean; reason: string }
  }
}

layer(App, { timeout: "60 seconds", excludeTestServices: true })("offline", (it) => {
  describe("no upstream reachable", () => {
    it.effect("a 5-item batch is written in seconds, each email marked where nothing was found, in plain words", () =>
      Effect.gen(function* () {
        const token = yield* newUserToken()
        const started = Date.now()
        const created = yield* call("POST", "/api/queue/batch", {
          token,
          json: {
            email_template:
              "Dear {{name}},\n\nI read your paper {{paper_title}} and would love to discuss {{research_interest}}.\n\nBest,\nSam",
            items: ["Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Frances Allen"].map(
              (name) => ({
                recipient_name: `Prof. ${name}`,
                recipient_interest: "deep learning"
              })
            )
          }
        })
        expect(created.status).toBe(201)
        const ids = (created.body as { queue_item_ids: Array<string> }).queue_item_ids
        const tasks = []
        for (const id of ids) tasks.push(yield* finished(token, id))
        // Five arXiv turns alone would take 15 s.
        expect(Date.now() - started).toBeLessThan(6000)
        for (const task of tasks) {
          expect(task.status).toBe("SUCCESS")
          const email = yield* emailOf<Email>(token, task)
          expect(email.email_message).toContain(
            "I read your paper [[fill in: paper title]] and would love to discuss deep learning."
          )
          expect(email.is_confident).toBe(false)
          expect(email.metadata.checks.failed).toEqual(["nothing_to_fill_in"])
          expect(email.metadata.confidence.reason).toBe(
            "written without a language model; the email leaves the paper title to fill in: nothing found could go there"
          )
          expect(email.metadata.warnings.length).toBeGreaterThan(0)
          for (const warning of email.metadata.warnings) {
            expect(warning).not.toMatch(/E[A-Z]{4,}|127\.0\.0\.1|:\d{2,5}\b|\.invalid|\bat \w+ \(|getaddrinfo/)
          }
        }
      })
    )
  })
})
