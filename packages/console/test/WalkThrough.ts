import { mkdirSync, rmSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { ensureConsole } from "../../../scripts/console-build"
import { isolatedContext, launch, screenshots } from "./Browser"
import { type Service, startService } from "./ServiceProcess"

/** What a browser walk-through of the console runs against. */
export interface WalkThrough {
  readonly service: Service
  readonly browser: Browser
  readonly page: Page
  /** Requests the page made to any origin but the service's and `origins`: refused, and the test then fails. */
  readonly foreign: Array<string>
}

/**
 * Sets up walk-through `name`: the screenshot folder, without this walk-through's earlier failure screenshot (the
 * folder is shared by all of them); the console built; the service started with `env`; a page that may reach only the
 * service and `origins`.
 */
export const openWalkThrough = async (
  name: string,
  options: { readonly env?: Record<string, string>; readonly origins?: ReadonlyArray<string> } = {}
): Promise<WalkThrough> => {
  mkdirSync(screenshots, { recursive: true })
  rmSync(`${screenshots}failure-${name}.png`, { force: true })
  ensureConsole()
  const service = await startService(options.env)
  let browser: Browser | undefined
  try {
    browser = await launch()
    const isolated = await isolatedContext(browser, [service.origin, ...(options.origins ?? [])])
    return { service, browser, page: await isolated.context.newPage(), foreign: isolated.foreign }
  } catch (error) {
    await browser?.close()
    await service.stop()
    throw error
  }
}

/** Closes the browser and stops the service. */
export const closeWalkThrough = async (walkThrough: WalkThrough | undefined) => {
  await walkThrough?.browser.close()
  await walkThrough?.service.stop()
}
