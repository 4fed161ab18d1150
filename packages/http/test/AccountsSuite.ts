import { describe, expect, layer } from "@effect/vitest"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import * as World from "@scribe/adapters/testkit/World"
import { UserId } from "@scribe/core/Ids"
import { templateViolation } from "@scribe/core/templates/ResumeTemplateRules"
import { TemplateId, TemplateRecord } from "@scribe/core/templates/TemplateRecord"
import { TemplateStore } from "@scribe/core/templates/TemplateStore"
import { Effect, Layer } from "effect"
import {
  type AccountStores,
  type Detail,
  locs,
  resumeUrl,
  signIn,
  submit,
  work,
  worldWithResumes
} from "./AccountsFixtures"
import { call, hs256, layerAppWith } from "./TestServer"

const isoZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const failed = (reason: string) => ({ status: 400, body: { detail: `Template generation failed: ${reason}` } })

type TemplateBody = { id: string; template_text: string; pdf_url: string | null; generator: string; created_at: string }

const upload = (file: Uint8Array | null, instructions: string | null) => {
  const form = new FormData()
  if (file !== null) form.append("file", new Blob([file], { type: "application/pdf" }), "cv.pdf")
  if (instructions !== null) form.append("user_instructions", instructions)
  return form
}

const instructions = "Keep it short and mention my graph algorithms research."

/** The profile and résumé template routes end to end over a real port, on the given stores. */
export const accountsSuite = <E>(name: string, stores: Layer.Layer<AccountStores, E>) =>
  layer(Layer.mergeAll(layerAppWith(stores, hs256), stores, worldWithResumes), {
    timeout: "180 seconds",
    excludeTestServices: true
  })(name, (it) => {
    describe("profiles", () => {
      it.effect("a first request creates the user; the profile starts empty", () =>
        Effect.gen(function* () {
          const { id, token } = yield* signIn()
          const reply = yield* call("GET", "/api/user/profile", { token })
          expect(reply.status).toBe(200)
          expect(reply.body).toEqual({
            id,
            email: `${id}@uni.edu`,
            display_name: null,
            generation_count: 0,
            template_count: 0,
            onboarded: false,
            email_template: null,
            created_at: expect.stringMatching(isoZ)
          })
        })
      )

      it.effect("init is 201 and idempotent: a second call returns the profile unchanged", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const first = yield* call("POST", "/api/user/init", { token, json: { display_name: "Sam Rivera" } })
          expect(first.status).toBe(201)
          expect(first.body).toMatchObject({ display_name: "Sam Rivera", onboarded: false })
          const second = yield* call("POST", "/api/user/init", { token, json: { display_name: "Someone Else" } })
          expect(second).toEqual(first)
          expect((yield* call("GET", "/api/user/profile", { token })).body).toEqual(first.body)
        })
      )

      it.effect("init without a name keeps none; a later init gives the first name", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          expect((yield* call("POST", "/api/user/init", { token, json: {} })).body).toMatchObject({
            display_name: null
          })
          expect((yield* call("POST", "/api/user/init", { token, json: { display_name: "Ada" } })).body).toMatchObject({
            display_name: "Ada"
          })
          const bad = yield* call("POST", "/api/user/init", { token, json: { display_name: "  " } })
          expect(bad.status).toBe(422)
          expect(locs(bad.body)).toEqual([["body", "display_name"]])
        })
      )

      it.effect("onboarding marks the profile, idempotently", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          for (let i = 0; i < 2; i++) {
            const reply = yield* call("PATCH", "/api/user/onboarding", { token })
            expect(reply.status).toBe(200)
            expect(reply.body).toMatchObject({ onboarded: true })
          }
        })
      )

      it.effect("the kept template: 1–10 000 code points, not only whitespace; a refusal changes nothing", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const saved = yield* call("PATCH", "/api/user/template", { token, json: { template: "Dear {{name}}, hi" } })
          expect(saved.status).toBe(200)
          expect(saved.body).toMatchObject({ email_template: "Dear {{name}}, hi" })
          // 10 000 emoji are 10 000 characters (20 000 UTF-16 units)
          const emoji = "😀".repeat(10_000)
          const long = yield* call("PATCH", "/api/user/template", { token, json: { template: emoji } })
          expect(long.status).toBe(200)
          expect((long.body as { email_template: string }).email_template).toBe(emoji)
          const refusals: ReadonlyArray<readonly [unknown, string]> = [
            [{ template: `${emoji}x` }, "string_too_long"],
            [{ template: "" }, "string_too_short"],
            [{ template: " \n\t " }, "value_error"],
            [{ template: 42 }, "string_type"],
            [{}, "missing"]
          ]
          for (const [json, type] of refusals) {
            const reply = yield* call("PATCH", "/api/user/template", { token, json })
            expect(reply.status).toBe(422)
            expect((reply.body as Detail).detail).toEqual([
              expect.objectContaining({ loc: ["body", "template"], type })
            ])
          }
          const malformed = yield* call("PATCH", "/api/user/template", { token, raw: '{"template": ' })
          expect(malformed.status).toBe(422)
          expect((malformed.body as Detail).detail[0]?.type).toBe("json_invalid")
          expect((yield* call("GET", "/api/user/profile", { token })).body).toMatchObject({ email_template: emoji })
        })
      )

      it.effect("generation_count is exact under concurrent completions, failures not counted", () =>
        Effect.gen(function* () {
          const a = yield* signIn()
          const b = yield* signIn()
          yield* submit(
            a.token,
            Array.from({ length: 12 }, (_, i) => `Recipient ${i}`)
          )
          yield* work(
            Array.from({ length: 12 }, (_, i) =>
              i < 10 ? { _tag: "complete" as const, confident: true } : { _tag: "fail" as const }
            ),
            12
          )
          expect((yield* call("GET", "/api/user/profile", { token: a.token })).body).toMatchObject({
            generation_count: 10
          })
          expect((yield* call("GET", "/api/user/profile", { token: b.token })).body).toMatchObject({
            generation_count: 0
          })
        })
      )

      it.effect("every profile route is 401 without a valid token", () =>
        Effect.gen(function* () {
          for (const [method, path] of [
            ["GET", "/api/user/profile"],
            ["POST", "/api/user/init"],
            ["PATCH", "/api/user/onboarding"],
            ["PATCH", "/api/user/template"]
          ] as const) {
            expect(yield* call(method, path, { json: { template: "" } })).toEqual({
              status: 401,
              body: { detail: "Not authenticated" }
            })
          }
        })
      )
    })

    describe("templates from a résumé", () => {
      it.effect("writes a deterministic template from a two-page résumé URL; listed and found by id", () =>
        Effect.gen(function* () {
          const { id, token } = yield* signIn()
          const url = yield* resumeUrl(Resumes.Paths.resume)
          const created = yield* call("POST", "/api/templates/", {
            token,
            json: { pdf_url: url, user_instructions: instructions }
          })
          expect(created.status).toBe(201)
          const body = created.body as TemplateBody
          expect(body).toEqual({
            id: expect.any(String),
            user_id: id,
            pdf_url: url,
            template_text: expect.any(String),
            user_instructions: instructions,
            generator: "deterministic",
            created_at: expect.stringMatching(isoZ)
          })
          expect(templateViolation(body.template_text)).toBeNull()
          // the résumé's facts, from both pages
          for (const fact of [Resumes.student.name, Resumes.student.education, Resumes.student.project]) {
            expect(body.template_text).toContain(fact)
          }
          for (const path of ["/api/templates/", "/api/templates"]) {
            expect(yield* call("GET", path, { token })).toEqual({ status: 200, body: [body] })
          }
          expect(yield* call("GET", `/api/templates/${body.id}`, { token })).toEqual({ status: 200, body })
          expect((yield* call("GET", "/api/user/profile", { token })).body).toMatchObject({ template_count: 1 })
        })
      )

      it.effect("takes the PDF itself as a multipart upload (pdf_url null)", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const pdf = yield* Effect.promise(() => Resumes.twoPageResume())
          const created = yield* call("POST", "/api/templates", { token, form: upload(pdf, instructions) })
          expect(created.status).toBe(201)
          expect(created.body).toMatchObject({ pdf_url: null, generator: "deterministic" })
          expect((created.body as TemplateBody).template_text).toContain(Resumes.student.name)
        })
      )

      it.effect("PDFs that cannot be had or read are 400 with the reason, and nothing is stored", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const world = yield* World.World
          const cases: ReadonlyArray<readonly [string, string]> = [
            [yield* resumeUrl(Resumes.Paths.scanned), "the PDF has no extractable text (a scanned document?)"],
            [yield* resumeUrl(Resumes.Paths.encrypted), "the PDF is encrypted"],
            [yield* resumeUrl(Resumes.Paths.html), "the file is not a PDF"],
            [yield* resumeUrl(Resumes.Paths.huge), "the PDF is larger than 10 MB"],
            [yield* resumeUrl(Resumes.Paths.hugeChunked), "the PDF is larger than 10 MB"],
            [
              yield* resumeUrl(Resumes.Paths.redirectPrivate),
              "the PDF URL is refused: 127.0.0.1 is a loopback address"
            ],
            [world.url(Resumes.Paths.resume), "the PDF URL is refused: 127.0.0.1 is a loopback address"],
            [yield* resumeUrl(Resumes.Paths.missing), "the PDF could not be fetched (the PDF URL answered HTTP 404)"],
            [yield* resumeUrl(World.Paths.hidden), "the PDF URL serves text/html, not a PDF"],
            ["not a url", "the PDF URL is not a valid URL"],
            ["ftp://files.example.org/cv.pdf", "ftp: URLs are not fetched, only http and https"]
          ]
          for (const [pdf_url, reason] of cases) {
            const reply = yield* call("POST", "/api/templates/", {
              token,
              json: { pdf_url, user_instructions: instructions }
            })
            expect({ pdf_url, ...reply }).toEqual({ pdf_url, ...failed(reason) })
          }
          const uploads: ReadonlyArray<readonly [Uint8Array, string]> = [
            [Resumes.hugePdf(), "the PDF is larger than 10 MB"],
            [new TextEncoder().encode(Resumes.htmlPage), "the file is not a PDF"],
            [yield* Effect.promise(() => Resumes.encryptedResume()), "the PDF is encrypted"],
            [
              yield* Effect.promise(() => Resumes.scannedResume()),
              "the PDF has no extractable text (a scanned document?)"
            ]
          ]
          for (const [file, reason] of uploads) {
            expect(yield* call("POST", "/api/templates/", { token, form: upload(file, instructions) })).toEqual(
              failed(reason)
            )
          }
          expect(yield* call("GET", "/api/templates/", { token })).toEqual({ status: 200, body: [] })
          expect((yield* call("GET", "/api/user/profile", { token })).body).toMatchObject({ template_count: 0 })
        })
      )

      it.effect("invalid fields are 422 in FastAPI's shape, JSON or multipart", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const url = yield* resumeUrl(Resumes.Paths.resume)
          const short = yield* call("POST", "/api/templates/", {
            token,
            json: { pdf_url: url, user_instructions: "short" }
          })
          expect(short.status).toBe(422)
          expect((short.body as Detail).detail).toEqual([
            {
              loc: ["body", "user_instructions"],
              msg: "String should have at least 10 characters",
              type: "string_too_short"
            }
          ])
          const missing = yield* call("POST", "/api/templates/", { token, json: {} })
          expect(locs(missing.body)).toEqual([
            ["body", "pdf_url"],
            ["body", "user_instructions"]
          ])
          const malformed = yield* call("POST", "/api/templates/", { token, raw: "{" })
          expect(malformed.status).toBe(422)
          expect((malformed.body as Detail).detail[0]?.type).toBe("json_invalid")
          const noFile = yield* call("POST", "/api/templates/", { token, form: upload(null, "x") })
          expect(noFile.status).toBe(422)
          expect(locs(noFile.body)).toEqual([
            ["body", "file"],
            ["body", "user_instructions"]
          ])
          expect(yield* call("GET", "/api/templates/", { token })).toEqual({ status: 200, body: [] })
        })
      )

      it.effect("at most 5 per user, exactly, under concurrent requests (429 with the original's sentence)", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn()
          const other = yield* signIn()
          const url = yield* resumeUrl(Resumes.Paths.resume)
          const create = (t: string) =>
            call("POST", "/api/templates/", { token: t, json: { pdf_url: url, user_instructions: instructions } })
          const replies = yield* Effect.all(
            Array.from({ length: 8 }, () => create(token)),
            { concurrency: 8 }
          )
          expect(replies.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 429, 429, 429])
          for (const refused of replies.filter((r) => r.status === 429)) {
            expect(refused.body).toEqual({
              detail: "Template generation limit reached. Maximum 5 templates allowed per user."
            })
          }
          const listed = (yield* call("GET", "/api/templates/?limit=100", { token }))
            .body as ReadonlyArray<TemplateBody>
          expect(listed).toHaveLength(5)
          expect((yield* call("GET", "/api/user/profile", { token })).body).toMatchObject({ template_count: 5 })
          expect((yield* create(token)).status).toBe(429)
          // another user's allowance is their own
          expect((yield* create(other.token)).status).toBe(201)
          // newest first, paged
          const createdAt = listed.map((t) => t.created_at)
          expect([...createdAt].sort().reverse()).toEqual(createdAt)
          const page = (yield* call("GET", "/api/templates/?limit=2&offset=1", { token })).body
          expect(page).toEqual(listed.slice(1, 3))
        })
      )

      it.effect("the store never passes the limit, however many inserts race", () =>
        Effect.gen(function* () {
          const store = yield* TemplateStore
          const { id, token } = yield* signIn()
          yield* call("GET", "/api/user/profile", { token })
          const record = () =>
            new TemplateRecord({
              id: TemplateId.make(crypto.randomUUID()),
              userId: UserId.make(id),
              pdfUrl: null,
              templateText: "Dear {{name}}, about {{research}}.",
              userInstructions: instructions,
              generator: "deterministic",
              createdAt: new Date()
            })
          const outcomes = yield* Effect.all(
            Array.from({ length: 12 }, () => store.insertWithinLimit(record(), 3)),
            { concurrency: 12 }
          ).pipe(Effect.orDie)
          expect(outcomes.filter((o) => o._tag === "Inserted")).toHaveLength(3)
          expect(yield* Effect.orDie(store.count(UserId.make(id)))).toBe(3)
        })
      )

      it.effect("ids: malformed is 400, another user's and unknown are 404; paging is validated", () =>
        Effect.gen(function* () {
          const owner = yield* signIn()
          const stranger = yield* signIn()
          const url = yield* resumeUrl(Resumes.Paths.resume)
          const created = yield* call("POST", "/api/templates/", {
            token: owner.token,
            json: { pdf_url: url, user_instructions: instructions }
          })
          const id = (created.body as TemplateBody).id
          expect(yield* call("GET", "/api/templates/not-a-uuid", { token: owner.token })).toEqual({
            status: 400,
            body: { detail: "Invalid template ID format: badly formed hexadecimal UUID string" }
          })
          for (const [token, templateId] of [
            [stranger.token, id],
            [owner.token, crypto.randomUUID()]
          ] as const) {
            expect(yield* call("GET", `/api/templates/${templateId}`, { token })).toEqual({
              status: 404,
              body: { detail: "Template not found" }
            })
          }
          expect(yield* call("GET", "/api/templates/", { token: stranger.token })).toEqual({ status: 200, body: [] })
          for (const query of ["limit=0", "limit=101", "offset=-1", "limit=x"]) {
            const reply = yield* call("GET", `/api/templates/?${query}`, { token: owner.token })
            expect(reply.status).toBe(422)
            expect(locs(reply.body)).toEqual([["query", query.split("=")[0]!]])
          }
          expect((yield* call("GET", "/api/templates/", {})).status).toBe(401)
        })
      )
    })
  })
