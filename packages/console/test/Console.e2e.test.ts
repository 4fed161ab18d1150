import { readFileSync } from "node:fs"
import * as People from "@scribe/adapters/testkit/People"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
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
  let opened: WalkThrough | undefined
  let page: Page
  const visited: Array<{ readonly name: string; readonly path: string }> = []
  let foreign: Array<string> = []

  const shot = async (name: string) => {
    visited.push({ name, path: new URL(page.url()).pathname })
    await screenshot(page, `${screenshots}${name}-1280.png`)
  }

  beforeAll(async () => {
    // Nothing but the service itself: a request to any other origin is refused and recorded (the test then fails).
    opened = await openWalkThrough("local")
    ;({ service, page, foreign } = opened)
  }, 180_000)

  afterAll(async () => {
    await closeWalkThrough(opened)
  }, 30_000)

  it("signs in, saves a template, writes one email with its evidence, imports, queues, cancels, discards, exports", async () => {
    await explained(page, () => service.output(), "local", walkThrough)
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
    // kept in the profile on the server: a reload reads it back
    await page.reload()
    await until(
      "the saved template after a reload",
      () => page.getByLabel("Email template").inputValue(),
      (v) => v === template
    )
    await count("two placeholders marked after the reload", page.locator("mark.placeholder"), 2)

    // A template from a résumé PDF: uploaded, written by the service, taken into the editor; then put back.
    await page.getByLabel("Résumé (PDF)").setInputFiles({
      name: "resume.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from(await Resumes.twoPageResume())
    })
    // too short for the server's rule (10–2000 characters): its message is shown at that field
    const stress = page.getByLabel("What the template should stress")
    const instructions = await stress.inputValue()
    await stress.fill("short")
    await page.getByRole("button", { name: "Write a template" }).click()
    await until(
      "the instructions marked invalid",
      () => stress.getAttribute("aria-invalid"),
      (v) => v === "true"
    )
    const describedBy = (await stress.getAttribute("aria-describedby")) ?? ""
    expect(await page.locator(`[id="${describedBy.split(" ").at(-1)}"]`).textContent()).toMatch(/10/)
    await stress.fill(instructions)
    await page.getByRole("button", { name: "Write a template" }).click()
    await visible(page.getByText("built without a model"), 30_000)
    const drafted = await until(
      "the résumé's template in the editor",
      () => page.getByLabel("Email template").inputValue(),
      (v) => v !== template
    )
    expect(drafted).toMatch(/\{\{\s*name\s*\}\}/)
    await visible(page.locator("mark.placeholder"))
    await page.getByRole("button", { name: "Revert" }).click()
    expect(await page.getByLabel("Email template").inputValue()).toBe(template)
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
    await shot("admin-refused")

    // Every page again at phone width.
    await page.setViewportSize({ width: 375, height: 812 })
    for (const { name, path } of visited) {
      if (name === "signin") continue
      await page.goto(`${service.origin}${path}`)
      await page.locator("main h1, main h2").first().waitFor()
      await page.waitForLoadState("networkidle")
      await screenshot(page, `${screenshots}${name}-375.png`)
      expect({ name, unnamed: await unnamedControls(page) }).toEqual({ name, unnamed: [] })
    }
    await page.getByRole("button", { name: "Menu" }).click()
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("button", { name: "Sign in locally" }).waitFor()
    await screenshot(page, `${screenshots}signin-375.png`)

    expect(errors).toEqual([])
    expect(foreign).toEqual([])
    process.stdout.write(`console screenshots: ${screenshots}\n`)
  }
})
