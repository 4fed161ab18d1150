import * as People from "@scribe/adapters/testkit/People"
import * as SupabaseAuthServer from "@scribe/adapters/testkit/SupabaseAuthServer"
import { Effect, Exit, Scope } from "effect"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  contains,
  count,
  explained,
  haveChromium,
  screenshot,
  screenshots,
  unnamedControls,
  until,
  visible
} from "./Browser"
import type { Service } from "./ServiceProcess"
import { closeWalkThrough, openWalkThrough, type WalkThrough } from "./WalkThrough"

const operator = { email: "ops@scribe.test", password: "correct horse battery staple" }
const student = "student@scribe.test"

/**
 * Sign-in through Supabase Auth for real: the service is configured with a simulated Supabase (its real endpoint
 * shapes, HS256 tokens signed with the service's SUPABASE_JWT_SECRET), the console gets its address from the service
 * and signs in with Supabase's JS client, and every API call carries that client's token. Access tokens live 125 s,
 * so the client refreshes them while the test runs (its 30 s tick refreshes once at most three ticks are left).
 */
describe.skipIf(!haveChromium)("the web console signed in with Supabase Auth, in headless Chromium", () => {
  const scope = Effect.runSync(Scope.make())
  let supabase: SupabaseAuthServer.SupabaseAuthServer
  let service: Service
  let opened: WalkThrough | undefined
  let page: Page
  let foreign: Array<string> = []
  /** Every request the page made to the service, with the token it carried and the status it got. */
  const apiCalls: Array<{ readonly path: string; readonly token: string | null; status: number | null }> = []

  beforeAll(async () => {
    supabase = await Effect.runPromise(
      Scope.extend(
        SupabaseAuthServer.make({
          accounts: [{ email: operator.email, password: operator.password }, { email: student }],
          expiresIn: 125
        }),
        scope
      )
    )
    // The service and the Supabase it names, nothing else.
    opened = await openWalkThrough("supabase", {
      env: { ...supabase.env, SCRIBE_ADMIN_EMAILS: operator.email },
      origins: [supabase.origin]
    })
    ;({ service, page, foreign } = opened)
    page.on("request", (request) => {
      const url = new URL(request.url())
      if (url.origin !== service.origin || !url.pathname.startsWith("/api/")) return
      const call = {
        path: url.pathname,
        token: /^Bearer (.+)$/.exec(request.headers().authorization ?? "")?.[1] ?? null,
        status: null as number | null
      }
      apiCalls.push(call)
      void request.response().then((r) => {
        call.status = r?.status() ?? null
      })
    })
  }, 180_000)

  afterAll(async () => {
    await closeWalkThrough(opened)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 30_000)

  it("signs in by magic link and by password, refreshes the session, opens the operators' view, signs out", async () => {
    await explained(page, () => service.output(), "supabase", walkThrough)
  }, 240_000)

  const signOut = async () => {
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("button", { name: "Email me a link" }).waitFor()
  }

  const walkThrough = async () => {
    const errors: Array<string> = []
    page.on("pageerror", (e) => errors.push(e.message))

    // The service hands the console its Supabase; no local sign-in is offered.
    await page.goto(service.origin)
    await page.getByLabel("Email").waitFor()
    expect(await page.getByRole("button", { name: "Sign in locally" }).count()).toBe(0)
    await screenshot(page, `${screenshots}signin-supabase-1280.png`)
    expect(await unnamedControls(page)).toEqual([])

    // A link that is no good (used, expired) comes back with Supabase's reason, shown once.
    await page.goto(
      `${supabase.origin}/auth/v1/verify?token=used&type=magiclink&redirect_to=${encodeURIComponent(service.origin)}`
    )
    await contains("the link's refusal", page.getByRole("alert"), "Email link is invalid or has expired")
    expect(new URL(page.url()).hash).toBe("")

    // A magic link: asked for, "mailed" (kept in the simulated Supabase's outbox), followed back signed in.
    await page.getByLabel("Email").fill(student)
    await page.getByRole("button", { name: "Email me a link" }).click()
    await page.getByText("Check your inbox").waitFor()
    const link = await until(
      "the magic link",
      async () => supabase.outbox.find((m) => m.email === student),
      (m) => m !== undefined
    )
    await page.goto(link!.url)
    await page.getByRole("navigation", { name: "Main" }).waitFor()
    await contains("the student's address in the bar", page.locator(".who"), student)
    expect(new URL(page.url()).searchParams.has("code")).toBe(false)
    expect(supabase.issued.find((i) => i.email === student)?.grant).toBe("pkce")

    // The student writes one email with the API under the Supabase token, and cannot open the operators' view.
    await page.getByRole("link", { name: "Template" }).click()
    await page.getByRole("button", { name: "Save template" }).click()
    await page.getByText("Template saved.").waitFor()
    await page.getByRole("link", { name: "Write", exact: true }).click()
    await page.getByLabel("Professor's name").fill(People.ada.asTyped)
    await page.getByLabel("Their research interest").fill(People.ada.interest)
    await page.getByRole("button", { name: "Write the email" }).click()
    await page.getByRole("heading", { name: "Done" }).waitFor({ timeout: 60_000 })
    await count("no Operators link for the student", page.getByRole("link", { name: "Operators" }), 0)
    await page.goto(`${service.origin}/admin`)
    await contains("the refusal", page.getByRole("alert"), "operators only")
    const studentTokens = new Set(supabase.issued.filter((i) => i.email === student).map((i) => i.accessToken))
    expect(
      apiCalls.filter((c) => c.path === "/api/email/generate").map((c) => studentTokens.has(c.token ?? ""))
    ).toEqual([true])
    await signOut()
    expect(supabase.log.matching("/auth/v1/logout")).toHaveLength(1)

    // A wrong password is refused with Supabase's words; the right one signs the operator in.
    await page.getByLabel("Email").fill(operator.email)
    await page.getByLabel("Password").fill("not the password")
    await page.getByRole("button", { name: "Sign in", exact: true }).click()
    await contains("the refusal", page.getByRole("alert"), "Invalid login credentials")
    await page.getByLabel("Password").fill(operator.password)
    await page.getByLabel("Password").press("Enter")
    await page.getByRole("navigation", { name: "Main" }).waitFor()

    // The operators' view against the real routes: figures, the weekly chart, users, one user's emails, errors.
    await page.getByRole("link", { name: "Operators" }).click()
    const overview = page.getByRole("region", { name: "Overview" })
    await contains("the user count", overview, /Users\s*2/)
    await contains("the email count", overview, /Emails\s*1/)
    await visible(page.getByRole("img", { name: /Emails per week/ }))
    await until(
      "the weekly bars",
      () => page.locator(".chart rect.bar").count(),
      (n) => n > 0
    )
    await visible(page.getByText("No failed jobs"))
    await screenshot(page, `${screenshots}admin-1280.png`)
    expect(await unnamedControls(page)).toEqual([])
    await page.getByRole("link", { name: student }).click()
    await page.getByRole("heading", { name: `Emails of ${student}` }).waitFor()
    await contains("the student's email", page.locator(".list-item"), People.ada.name)
    await contains("the student's job", page.getByRole("region", { name: "Recent jobs" }), "completed")
    await visible(page.getByText("No résumé templates"))
    await screenshot(page, `${screenshots}admin-user-1280.png`)
    expect(await unnamedControls(page)).toEqual([])

    // Session refresh: the client swaps its token before it expires, and the API accepts the new one.
    const refreshed = await until(
      "a refreshed token",
      async () => supabase.issued.filter((i) => i.email === operator.email && i.grant === "refresh_token"),
      (r) => r.length > 0,
      60_000
    )
    expect(refreshed.length).toBeGreaterThan(0)
    await page.reload()
    await page.locator(".list-item").first().waitFor()
    const refreshedTokens = new Set(
      supabase.issued.filter((i) => i.grant === "refresh_token").map((i) => i.accessToken)
    )
    await until(
      "an API call with a refreshed token",
      async () => apiCalls.filter((c) => c.token !== null && refreshedTokens.has(c.token)).map((c) => c.status),
      (statuses) => statuses.includes(200)
    )
    expect(apiCalls.filter((c) => c.status === 401)).toEqual([])

    // Phone width, then sign out: the session is gone from the browser and revoked at Supabase.
    await page.setViewportSize({ width: 375, height: 812 })
    await screenshot(page, `${screenshots}admin-user-375.png`)
    await page.getByRole("button", { name: "Menu" }).click()
    await page.getByRole("link", { name: "Operators" }).click()
    await page.getByRole("region", { name: "Overview" }).waitFor()
    await page.waitForLoadState("networkidle")
    await screenshot(page, `${screenshots}admin-375.png`)
    await page.getByRole("button", { name: "Menu" }).click()
    await signOut()
    await screenshot(page, `${screenshots}signin-supabase-375.png`)
    expect(supabase.log.matching("/auth/v1/logout")).toHaveLength(2)
    await page.reload()
    await page.getByRole("button", { name: "Email me a link" }).waitFor()
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0)

    expect(errors).toEqual([])
    expect(foreign).toEqual([])
  }
})
