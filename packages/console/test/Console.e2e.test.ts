import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as People from "@scribe/adapters/testkit/People"
import { type Browser, chromium, type Locator, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ensureConsole } from "../../../scripts/build"
import { type Service, startService } from "./ServiceProcess"

const executablePath = "/usr/bin/chromium"
const haveChromium = existsSync(executablePath)
if (!haveChromium && process.env.CI === "true")
  throw new Error(`${executablePath} is missing (apt-get install chromium)`)

/** Where every page's screenshots go, at 1280 and at 375 px wide. */
export const screenshots = fileURLToPath(new URL("../test-results/screenshots/", import.meta.url))

/** Polls `check` until it holds (a failed assertion names `what` and the last value seen). */
const until = async <A>(what: string, read: () => Promise<A>, ok: (a: A) => boolean, timeout = 15_000) => {
  const deadline = Date.now() + timeout
  let last: A = await read()
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    last = await read()
  }
  return last
}
const count = (what: string, locator: Locator, n: number, timeout?: number) =>
  until(
    what,
    () => locator.count(),
    (c) => c === n,
    timeout
  )
const contains = (what: string, locator: Locator, text: string | RegExp, timeout?: number) =>
  until(
    what,
    async () => (await locator.first().textContent()) ?? "",
    (t) => (typeof text === "string" ? t.includes(text) : text.test(t)),
    timeout
  )
const visible = (locator: Locator, timeout?: number) =>
  locator.first().waitFor({ state: "visible", ...(timeout === undefined ? {} : { timeout }) })

const template =
  "Dear {{name}},\n\nI have been reading your work on {{research}} and would love to learn more about your group.\n\nBest regards,\nSam"

const batchCsv = [
  "name,research interest",
  "Grace Hopper,compilers",
  "Alan Turing,computability",
  "Barbara Liskov,data abstraction",
  "Edsger Dijkstra,shortest paths",
  "Frances Allen,compiler optimization"
].join("\n")

describe.skipIf(!haveChromium)("the web console, in headless Chromium, against the running service", () => {
  let service: Service
  let browser: Browser
  let page: Page
  const visited: Array<{ readonly name: string; readonly path: string }> = []
  const foreign: Array<string> = []

  const shot = async (name: string) => {
    visited.push({ name, path: new URL(page.url()).pathname })
    await page.screenshot({ path: `${screenshots}${name}-1280.png`, fullPage: true })
  }

  beforeAll(async () => {
    rmSync(screenshots, { recursive: true, force: true })
    mkdirSync(screenshots, { recursive: true })
    ensureConsole()
    service = await startService()
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    // Nothing but the service itself: a request to any other origin is refused and recorded (the test then fails).
    await context.route(
      (url) => url.origin !== service.origin,
      (route) => {
        foreign.push(route.request().url())
        return route.abort()
      }
    )
    page = await context.newPage()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await service?.stop()
  }, 30_000)

  it("signs in, saves a template, writes one email with its evidence, imports, queues, cancels, discards, exports", async () => {
    try {
      await walkThrough()
    } catch (error) {
      await page.screenshot({ path: `${screenshots}failure.png`, fullPage: true }).catch(() => {})
      const text = await page
        .locator("body")
        .textContent()
        .catch(() => "")
      throw new Error(
        `${String(error)}\nat ${page.url()}, the page said:\n${text}\nthe service said:\n${service.output().slice(-3000)}`
      )
    }
  }, 240_000)

  const walkThrough = async () => {
    const errors: Array<string> = []
    page.on("pageerror", (e) => errors.push(e.message))

    await page.goto(service.origin)
    await page.getByRole("button", { name: "Sign in locally" }).waitFor()
    await shot("signin")
    // by keyboard: the button takes focus and Enter presses it
    await page.getByRole("button", { name: "Sign in locally" }).focus()
    await page.keyboard.press("Enter")
    await page.getByRole("navigation", { name: "Main" }).waitFor()

    // The template: the server's rule is checked as you type, then it is saved.
    await page.getByRole("link", { name: "Template" }).click()
    const editor = page.getByLabel("Email template")
    await editor.fill("Dear professor, no placeholder here.")
    await visible(page.getByText("Template must contain at least one placeholder"))
    await editor.fill(template)
    await count("two placeholders marked", page.locator("mark.placeholder"), 2)
    await page.getByRole("button", { name: "Save template" }).click()
    await page.getByText("Template saved.").waitFor()
    await shot("template")

    // One email: live steps, then the email with its evidence.
    await page.getByRole("link", { name: "Write", exact: true }).click()
    await page.getByLabel("Professor's name").fill(People.ada.asTyped)
    await page.getByLabel("Their research interest").fill(People.ada.interest)
    await page.getByRole("button", { name: "Write the email" }).click()
    await page.getByRole("list", { name: "Progress" }).waitFor()
    await page.getByRole("heading", { name: "Done" }).waitFor({ timeout: 60_000 })
    await contains("the email", page.locator(".email-text"), "Dear Ada Lovelace")
    const evidence = page.locator(".evidence")
    await visible(evidence.getByRole("link", { name: People.ada.papers[0]!.title }))
    await contains("the checks", evidence, "Every placeholder filled")
    await contains("the confidence", evidence, "Not confident")
    await contains("the composer", evidence, "deterministic composer")
    await shot("email-done")
    const emailPath = await page.locator(".email").getByRole("heading").getAttribute("id")
    expect(emailPath).toMatch(/^email-/)

    // A 5-row CSV: mapped by its header, previewed, queued in one batch.
    await page.getByRole("link", { name: "Import" }).click()
    await page.getByLabel("Or choose a file").setInputFiles({
      name: "professors.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(batchCsv)
    })
    await contains("the import summary", page.locator(".summary"), /^5 to send/)
    expect(await page.getByLabel("Name column").inputValue()).toBe("0")
    await count("five preview rows", page.locator("table.preview tbody tr"), 5)
    await shot("import")
    await page.getByRole("button", { name: "Queue 5 emails" }).click()

    // The queue: positions count down as the single worker takes them; the last one is cancelled while it waits.
    await page.getByRole("heading", { name: "Queue" }).waitFor()
    const last = page.getByTestId("queue-item").filter({ hasText: "Frances Allen" })
    const firstPosition = await last.locator(".position").textContent({ timeout: 10_000 })
    await shot("queue")
    await until(
      "Frances Allen's position to change",
      () => last.locator(".position").textContent(),
      (p) => p !== firstPosition,
      60_000
    )
    await last.getByRole("button", { name: "Cancel the email to Frances Allen" }).click()
    await count("the cancelled item gone", last, 0)
    await visible(page.getByText("Nothing in progress."), 90_000)
    await count("five jobs left", page.getByTestId("queue-item"), 5)

    // History: discard one, find it among the discarded, restore it; export.
    await page.getByRole("link", { name: "Emails" }).click()
    await count("five emails listed", page.getByTestId("history-item"), 5)
    await shot("history")
    await page.getByRole("button", { name: "Discard the email to Grace Hopper" }).click()
    await count("four emails once one is discarded", page.getByTestId("history-item"), 4)
    await page.getByLabel("Show discarded").check()
    await count("five with the discarded", page.getByTestId("history-item"), 5)
    await page.getByRole("button", { name: "Restore the email to Grace Hopper" }).click()
    await page.getByLabel("Show discarded").uncheck()
    await count("five once restored", page.getByTestId("history-item"), 5)
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click()
    ])
    const csv = readFileSync(await download.path(), "utf8")
    expect(csv.split(/\r?\n/)[0]).toBe("Recipient,Research interest,Email,Confident,Discarded,Created (UTC),Id")
    expect(csv).toContain("Grace Hopper")
    expect(csv).toContain("Dear Ada Lovelace")
    const [xlsx] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export Excel" }).click()
    ])
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/)
    expect(
      readFileSync(await xlsx.path())
        .subarray(0, 2)
        .toString()
    ).toBe("PK")

    await page.getByTestId("history-item").first().getByRole("link").click()
    await page.locator(".evidence").waitFor()
    await shot("email")

    await page.getByRole("link", { name: "Usage" }).click()
    await contains("today's usage", page.getByRole("region", { name: /Today/ }), "Emails written")
    await shot("usage")

    // The operators' view is not for this user: no link to it, and the page refuses.
    await count("no Operators link", page.getByRole("link", { name: "Operators" }), 0)
    await page.goto(`${service.origin}/admin`)
    await contains("the refusal", page.getByRole("alert"), /operators only|not available on this service/)
    await count("no admin figures", page.getByText("Users", { exact: true }), 0)
    await shot("admin")

    // Every page again at phone width.
    await page.setViewportSize({ width: 375, height: 812 })
    for (const { name, path } of visited) {
      if (name === "signin") continue
      await page.goto(`${service.origin}${path}`)
      await page.locator("main h1, main h2").first().waitFor()
      await page.waitForLoadState("networkidle")
      await page.screenshot({ path: `${screenshots}${name}-375.png`, fullPage: true })
    }
    await page.getByRole("button", { name: "Menu" }).click()
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("button", { name: "Sign in locally" }).waitFor()
    await page.screenshot({ path: `${screenshots}signin-375.png`, fullPage: true })

    expect(errors).toEqual([])
    expect(foreign).toEqual([])
    process.stdout.write(`console screenshots: ${screenshots}\n`)
  }
})
