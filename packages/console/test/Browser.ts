import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core"

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const executablePath = "/usr/bin/chromium"
export const haveChromium = existsSync(executablePath)
if (!haveChromium && process.env.CI === "true")
  throw new Error(`${executablePath} is missing (apt-get install chromium)`)

/** Where every page's screenshots go, at 1280 and at 375 px wide (CI prints this folder). */
export const screenshots = fileURLToPath(new URL("../test-results/screenshots/", import.meta.url))

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
  })

/**
 * A context whose every request to an origin other than `allowed` is refused and recorded in the returned list (a
 * test then fails on it): the console reaches nothing but its service (and the Supabase it was configured with).
 */
export const isolatedContext = async (
  browser: Browser,
  allowed: ReadonlyArray<string>
): Promise<{ readonly context: BrowserContext; readonly foreign: Array<string> }> => {
  const foreign: Array<string> = []
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  await context.route(
    (url) => !allowed.includes(url.origin),
    (route) => {
      foreign.push(route.request().url())
      return route.abort()
    }
  )
  return { context, foreign }
}

/** A full-page screenshot from the top of the page (a sticky header scrolled with the page would cover it). */
export const screenshot = async (page: Page, path: string) => {
  await page.evaluate("window.scrollTo(0, 0)")
  await page.screenshot({ path, fullPage: true })
}

/** Polls `read` until `ok` holds (a failed wait names `what` and the last value seen). */
export const until = async <A>(what: string, read: () => Promise<A>, ok: (a: A) => boolean, timeout = 15_000) => {
  const deadline = Date.now() + timeout
  let last: A = await read()
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    last = await read()
  }
  return last
}
export const count = (what: string, locator: Locator, n: number, timeout?: number) =>
  until(
    what,
    () => locator.count(),
    (c) => c === n,
    timeout
  )
export const contains = (what: string, locator: Locator, text: string | RegExp, timeout?: number) =>
  until(
    what,
    async () => (await locator.first().textContent()) ?? "",
    (t) => (typeof text === "string" ? t.includes(text) : text.test(t)),
    timeout
  )
export const visible = (locator: Locator, timeout?: number) =>
  locator.first().waitFor({ state: "visible", ...(timeout === undefined ? {} : { timeout }) })

/** Runs `body`; on failure, a screenshot and what the page and the service said, with the error. */
export const explained = async (page: Page, serviceOutput: () => string, name: string, body: () => Promise<void>) => {
  try {
    await body()
  } catch (error) {
    await page.screenshot({ path: `${screenshots}failure-${name}.png`, fullPage: true }).catch(() => {})
    const text = await page
      .locator("body")
      .textContent()
      .catch(() => "")
    throw new Error(
      `${String(error)}\nat ${page.url()}, the page said:\n${text}\nthe service said:\n${serviceOutput().slice(-3000)}`
    )
  }
}

/**
 * The page's controls that have no accessible name: form fields without a label (or `aria-label(ledby)`), buttons and
 * links without text or `aria-label`. Each is described by its tag and what little it has.
 */
export const unnamedControls = (page: Page): Promise<ReadonlyArray<string>> =>
  page.evaluate(`(() => {
    const named = (el) =>
      (el.getAttribute("aria-label") ?? "").trim() !== "" ||
      (el.getAttribute("aria-labelledby") ?? "").trim() !== "" ||
      (el.getAttribute("title") ?? "").trim() !== ""
    const out = []
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type === "hidden") continue
      if ((el.labels && el.labels.length > 0) || named(el)) continue
      out.push(el.tagName.toLowerCase() + "[name=" + (el.name || "") + "]")
    }
    for (const el of document.querySelectorAll("button, a[href]")) {
      if ((el.textContent ?? "").trim() !== "" || named(el)) continue
      out.push(el.tagName.toLowerCase() + " " + el.outerHTML.slice(0, 80))
    }
    return out
  })()`)
