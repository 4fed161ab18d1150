import { accessSync, constants } from "node:fs"
import { delimiter, isAbsolute, join } from "node:path"
import { describe, it } from "@effect/vitest"

/** Something a suite needs, checked: what is missing of it, in a few words, or `undefined` when it is all there. */
export type Need = Promise<string | undefined>

/** One of the machine's services (Postgres, Redis): missing unless it answered at `url`. */
export const service = (name: string, url: string, reachable: Promise<boolean>): Need =>
  reachable.then((ok) => (ok ? undefined : `${name} is unreachable at ${url}`))

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Where the program `name` is: `override` when given (a path, or a name looked up on PATH), else the first of `dirs`
 * that holds it, else PATH; `undefined` when none does.
 */
export const findProgram = (
  name: string,
  options: { readonly override?: string | undefined; readonly dirs?: ReadonlyArray<string> } = {}
): string | undefined => {
  const wanted = options.override ?? name
  if (wanted.includes("/")) return executable(wanted) ? wanted : undefined
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => isAbsolute(dir))
  const dirs = options.override === undefined ? [...(options.dirs ?? []), ...path] : path
  return dirs.map((dir) => join(dir, wanted)).find(executable)
}

/** Programs a suite runs, by name, as `findProgram` found them; missing: the ones not found, and `hint`. */
export const programs = (found: Record<string, string | undefined>, hint: string): Need => {
  const missing = Object.keys(found).filter((name) => found[name] === undefined)
  return Promise.resolve(missing.length === 0 ? undefined : `${missing.join(", ")} not found (${hint})`)
}

/**
 * Declares a suite that needs `needs`. When something is missing, elsewhere the suite is skipped: one skipped test
 * whose note (printed by the reporter) says what is missing. With `CI=true` that test fails instead.
 */
export const describeNeeding =
  (...needs: ReadonlyArray<Need>) =>
  async (name: string, body: () => unknown): Promise<void> => {
    const missing = (await Promise.all(needs)).filter((m): m is string => m !== undefined)
    if (missing.length === 0) {
      await body()
      return
    }
    const what = missing.join("; ")
    describe(name, () => {
      if (process.env.CI === "true") {
        it("has what it needs in CI", () => {
          throw new Error(`${what}; with CI=true this suite fails instead of skipping`)
        })
      } else {
        it("skipped", (context) => context.skip(`${what}; with CI=true it fails instead`))
      }
    })
  }
