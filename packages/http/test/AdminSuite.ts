import { describe, expect, layer } from "@effect/vitest"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import { isoWeek, weekStart } from "@scribe/core/admin/IsoWeek"
import { Context, Effect, Layer } from "effect"
import { type AccountStores, locs, signIn, submit, work } from "./AccountsFixtures"
import { adminEmail, call, hs256, layerAppWith } from "./TestServer"

const adminRoutes = (userId: string) => [
  "/api/admin/overview",
  "/api/admin/users",
  `/api/admin/users/${userId}/emails`,
  `/api/admin/users/${userId}/templates`,
  `/api/admin/users/${userId}/queue`,
  "/api/admin/activity",
  "/api/admin/errors"
]

const asAdmin = { app_metadata: { provider: "email", role: "admin" } }
const isoZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * A small world of users, on a store of its own: Ada (a template, 3 emails of which 2 confident, 1 failure, 1
 * cancelled job), Bob (1 email, 1 job pending) and the operator.
 */
const seed = Effect.gen(function* () {
  const admin = yield* signIn(asAdmin)
  // Users are created by their first request: the operator first, then Ada, then Bob.
  yield* call("GET", "/api/user/profile", { token: admin.token })
  const ada = yield* signIn()
  yield* call("POST", "/api/user/init", { token: ada.token, json: { display_name: "Ada" } })
  yield* call("PATCH", "/api/user/onboarding", { token: ada.token })
  yield* call("PATCH", "/api/user/template", { token: ada.token, json: { template: "Dear {{name}}, …" } })
  const form = new FormData()
  form.append("file", new Blob([yield* Effect.promise(() => Resumes.twoPageResume())]), "cv.pdf")
  form.append("user_instructions", "Mention my graph algorithms research.")
  expect((yield* call("POST", "/api/templates/", { token: ada.token, form })).status).toBe(201)
  yield* submit(ada.token, ["Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra"])
  yield* work([
    { _tag: "complete", confident: true },
    { _tag: "complete", confident: true },
    { _tag: "complete", confident: false },
    { _tag: "fail" }
  ])
  const [cancelled] = yield* submit(ada.token, ["Frances Allen"])
  expect((yield* call("DELETE", `/api/queue/${cancelled}`, { token: ada.token })).status).toBe(200)
  const bob = yield* signIn()
  yield* submit(bob.token, ["Donald Knuth", "Leslie Lamport"])
  yield* work([{ _tag: "complete", confident: false }])
  return { admin, ada, bob }
})

class Seeded extends Context.Tag("test/Seeded")<Seeded, Effect.Effect.Success<typeof seed>>() {}

/** The operators' routes end to end over a real port, on the given stores. */
export const adminSuite = <E>(name: string, stores: Layer.Layer<AccountStores, E>) => {
  const app = Layer.merge(layerAppWith(stores, hs256), stores)
  const options = { timeout: "180 seconds", excludeTestServices: true } as const

  layer(app, options)(name, (it) => {
    describe("access", () => {
      it.effect("401 without a token; 403 for users who are not operators, whatever they claim themselves", () =>
        Effect.gen(function* () {
          const user = yield* signIn()
          const selfStyled = yield* signIn({ user_metadata: { role: "admin" }, app_metadata: { role: "user" } })
          for (const path of adminRoutes(user.id)) {
            expect(yield* call("GET", path)).toEqual({ status: 401, body: { detail: "Not authenticated" } })
            for (const { token } of [user, selfStyled]) {
              expect(yield* call("GET", path, { token })).toEqual({
                status: 403,
                body: { detail: "Admin access required" }
              })
            }
          }
          // a forged token is 401 before any role is looked at
          expect((yield* call("GET", "/api/admin/overview", { token: `${user.token}x` })).status).toBe(401)
        })
      )

      it.effect("operators by app_metadata.role, or by an email in SCRIBE_ADMIN_EMAILS (any case)", () =>
        Effect.gen(function* () {
          for (const claims of [asAdmin, { email: adminEmail }, { email: adminEmail.toUpperCase() }]) {
            const { token } = yield* signIn(claims)
            for (const path of [
              "/api/admin/overview",
              "/api/admin/users",
              "/api/admin/activity",
              "/api/admin/errors"
            ]) {
              expect((yield* call("GET", path, { token })).status).toBe(200)
            }
          }
        })
      )

      it.effect("unknown users are 404; paging and limits are validated (422)", () =>
        Effect.gen(function* () {
          const { token } = yield* signIn(asAdmin)
          for (const route of ["emails", "templates", "queue"]) {
            expect(yield* call("GET", `/api/admin/users/nobody-${crypto.randomUUID()}/${route}`, { token })).toEqual({
              status: 404,
              body: { detail: "User not found" }
            })
          }
          const self = (yield* call("GET", "/api/user/profile", { token })).body as { id: string }
          for (const [path, param] of [
            [`/api/admin/users/${self.id}/emails?per_page=0`, "per_page"],
            [`/api/admin/users/${self.id}/emails?page=0`, "page"],
            [`/api/admin/users/${self.id}/emails?per_page=101`, "per_page"],
            [`/api/admin/users/${self.id}/queue?limit=501`, "limit"],
            ["/api/admin/activity?weeks=0", "weeks"],
            ["/api/admin/activity?weeks=105", "weeks"],
            ["/api/admin/errors?limit=x", "limit"]
          ] as const) {
            const reply = yield* call("GET", path, { token })
            expect(reply.status).toBe(422)
            expect(locs(reply.body)).toEqual([["query", param]])
          }
        })
      )
    })
  })

  // On stores of their own (each `layer` builds its own), seeded once, so every total is exact.
  layer(Layer.provideMerge(Layer.effect(Seeded, seed), app), options)(`${name}: views`, (it) => {
    it.effect("overview, activity and errors count exactly", () =>
      Effect.gen(function* () {
        const { admin, ada } = yield* Seeded
        const token = admin.token
        expect(yield* call("GET", "/api/admin/overview", { token })).toEqual({
          status: 200,
          body: {
            total_users: 3,
            total_emails: 4,
            success_rate: 80,
            avg_gen_time_seconds: 2.5,
            total_templates: 1,
            confidence_rate: 50,
            error_count: 1,
            emails_this_week: 4,
            active_users_this_week: 2
          }
        })
        const now = new Date()
        const week = (back: number) => isoWeek(new Date(weekStart(now).getTime() - back * 7 * 86_400_000))
        expect((yield* call("GET", "/api/admin/activity?weeks=3", { token })).body).toEqual([
          { week: week(2), emails_generated: 0, active_users: 0 },
          { week: week(1), emails_generated: 0, active_users: 0 },
          { week: week(0), emails_generated: 4, active_users: 2 }
        ])
        expect(((yield* call("GET", "/api/admin/activity", { token })).body as Array<unknown>).length).toBe(12)
        expect((yield* call("GET", "/api/admin/errors", { token })).body).toEqual([
          {
            id: expect.any(String),
            user_id: ada.id,
            user_email: `${ada.id}@uni.edu`,
            user_display_name: "Ada",
            recipient_name: "Edsger Dijkstra",
            recipient_interest: "graphs",
            current_step: "web_scraper",
            error_message: "Search engine unavailable",
            error_type: "UpstreamError",
            attempts: 1,
            created_at: expect.stringMatching(isoZ),
            started_at: expect.stringMatching(isoZ),
            completed_at: expect.stringMatching(isoZ)
          }
        ])
      })
    )

    it.effect("users with their counts, and each user's emails, templates and jobs", () =>
      Effect.gen(function* () {
        const { admin, ada, bob } = yield* Seeded
        const token = admin.token
        const users = (yield* call("GET", "/api/admin/users", { token })).body as ReadonlyArray<{ id: string }>
        expect(users.map((u) => u.id)).toEqual([bob.id, ada.id, admin.id])
        expect(users[1]).toEqual({
          id: ada.id,
          email: `${ada.id}@uni.edu`,
          display_name: "Ada",
          generation_count: 3,
          template_count: 1,
          onboarded: true,
          created_at: expect.stringMatching(isoZ),
          actual_email_count: 3,
          queue_submissions: 4,
          failed_count: 1,
          email_template: "Dear {{name}}, …"
        })
        expect(users[0]).toMatchObject({ generation_count: 1, queue_submissions: 2, failed_count: 0 })

        const page1 = (yield* call("GET", `/api/admin/users/${ada.id}/emails?page=1&per_page=2`, { token })).body as {
          items: ReadonlyArray<{ user_id: string }>
        }
        expect(page1).toMatchObject({ total: 3, page: 1, per_page: 2, pages: 2 })
        expect(page1.items.map((e) => e.user_id)).toEqual([ada.id, ada.id])
        const page2 = (yield* call("GET", `/api/admin/users/${ada.id}/emails?page=2&per_page=2`, { token })).body
        expect(page2).toMatchObject({ total: 3, page: 2, per_page: 2, pages: 2, items: [expect.anything()] })
        expect((yield* call("GET", `/api/admin/users/${ada.id}/emails?page=3&per_page=2`, { token })).body).toEqual({
          items: [],
          total: 3,
          page: 3,
          per_page: 2,
          pages: 2
        })

        const templates = (yield* call("GET", `/api/admin/users/${ada.id}/templates`, { token })).body
        expect(templates).toEqual([expect.objectContaining({ user_id: ada.id, pdf_url: null })])
        expect((yield* call("GET", `/api/admin/users/${bob.id}/templates`, { token })).body).toEqual([])

        const queue = (yield* call("GET", `/api/admin/users/${ada.id}/queue`, { token })).body as ReadonlyArray<{
          recipient_name: string
          status: string
          started_at: string | null
          completed_at: string | null
        }>
        expect(queue.map((j) => [j.recipient_name, j.status])).toEqual([
          ["Edsger Dijkstra", "failed"],
          ["Barbara Liskov", "completed"],
          ["Alan Turing", "completed"],
          ["Grace Hopper", "completed"]
        ])
        for (const job of queue) {
          expect(job.started_at).toMatch(isoZ)
          expect(job.completed_at).toMatch(isoZ)
        }
        const pending = (yield* call("GET", `/api/admin/users/${bob.id}/queue?limit=1`, { token })).body
        expect(pending).toEqual([
          expect.objectContaining({ recipient_name: "Leslie Lamport", status: "pending", started_at: null })
        ])
      })
    )
  })
}
