import { describe, it } from "@effect/vitest"

/** One of the machine's services a suite needs (Postgres, Redis): its name, where it is, and whether it answered. */
export interface Service {
  readonly name: string
  readonly url: string
  readonly reachable: Promise<boolean>
}

/**
 * Declares a suite that needs `service`: with `CI=true` an unreachable service fails the run, elsewhere the suite is
 * skipped with a message.
 */
export const describeNeeding = (service: Service) => async (name: string, body: () => void) => {
  if (await service.reachable) return body()
  const { name: needed, url } = service
  if (process.env.CI === "true") {
    describe(name, () => {
      it(`needs a reachable ${needed} in CI`, () => {
        throw new Error(`${needed} is unreachable at ${url}; with CI=true this suite fails instead of skipping`)
      })
    })
    return
  }
  console.warn(`${name} skipped: ${needed} is unreachable at ${url} (set CI=true to fail instead)`)
  describe.skip(`${name} (skipped: ${needed} unreachable at ${url})`, () => {
    it(`needs ${needed}`, () => {})
  })
}
