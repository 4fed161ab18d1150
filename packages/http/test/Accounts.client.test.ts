import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import { ScribeApi } from "@scribe/client/ScribeApi"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { resumeUrl, worldWithResumes } from "./AccountsFixtures"
import { hs256, layerAppWith, tokenFor } from "./TestServer"

const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(AccountsMemory.layerOver.pipe(Layer.provide(RepoMemory.layer)), healthy)

/** The client derived from the contract (`HttpApiClient`), as a frontend would build it, with the caller's token. */
const clientFor = (token: string) =>
  Effect.flatMap(HttpClient.HttpClient, (http) =>
    HttpApiClient.makeWith(ScribeApi, {
      httpClient: http.pipe(HttpClient.mapRequest(HttpClientRequest.bearerToken(token)))
    })
  )

layer(Layer.mergeAll(layerAppWith(stores, hs256), worldWithResumes), {
  timeout: "120 seconds",
  excludeTestServices: true
})("the typed client over the profile, template and admin routes", (it) => {
  describe("HttpApiClient.make(ScribeApi)", () => {
    it.effect(
      "profiles, templates (JSON and FormData upload) and the admin views, typed; errors as tagged values",
      () =>
        Effect.gen(function* () {
          const id = crypto.randomUUID()
          const api = yield* clientFor(yield* tokenFor(id))
          const profile = yield* api.user.init({ payload: { display_name: "Sam Rivera" } })
          expect(profile).toMatchObject({ id, display_name: "Sam Rivera", generation_count: 0 })
          expect(profile.created_at).toBeInstanceOf(Date)
          expect((yield* api.user.template({ payload: { template: "Dear {{name}}, …" } })).email_template).toBe(
            "Dear {{name}}, …"
          )
          expect((yield* api.user.onboarding()).onboarded).toBe(true)

          const byUrl = yield* api.templates.create({
            payload: { pdf_url: yield* resumeUrl(Resumes.Paths.resume), user_instructions: "Short and warm, please." }
          })
          expect(byUrl.generator).toBe("deterministic")
          const form = new FormData()
          form.append("file", new Blob([yield* Effect.promise(() => Resumes.twoPageResume())]), "cv.pdf")
          form.append("user_instructions", "Short and warm, please.")
          const uploaded = yield* api.templates.create({ payload: form })
          expect(uploaded.pdf_url).toBeNull()
          expect((yield* api.templates.list({ urlParams: { limit: 20, offset: 0 } })).map((t) => t.id)).toEqual([
            uploaded.id,
            byUrl.id
          ])
          expect((yield* api.templates.get({ path: { template_id: byUrl.id } })).template_text).toBe(
            byUrl.template_text
          )

          const failed = yield* Effect.flip(
            api.templates.create({
              payload: {
                pdf_url: yield* resumeUrl(Resumes.Paths.scanned),
                user_instructions: "Short and warm, please."
              }
            })
          )
          expect(failed).toMatchObject({
            _tag: "TemplateGenerationFailed",
            reason: "the PDF has no extractable text (a scanned document?)"
          })
          expect(yield* Effect.flip(api.templates.get({ path: { template_id: "nope" } }))).toMatchObject({
            _tag: "InvalidTemplateId"
          })
          expect(yield* Effect.flip(api.admin.overview())).toMatchObject({ _tag: "AdminRequired" })

          const admin = yield* clientFor(yield* tokenFor(crypto.randomUUID(), { app_metadata: { role: "admin" } }))
          expect((yield* admin.admin.overview()).total_templates).toBe(2)
          const users = yield* admin.admin.users()
          expect(users.find((u) => u.id === id)).toMatchObject({ template_count: 2, display_name: "Sam Rivera" })
          expect(yield* admin.admin.userTemplates({ path: { user_id: id } })).toHaveLength(2)
          expect(
            yield* Effect.flip(admin.admin.userQueue({ path: { user_id: "nobody" }, urlParams: { limit: 100 } }))
          ).toMatchObject({ _tag: "UserNotFound" })
        })
    )
  })
})
