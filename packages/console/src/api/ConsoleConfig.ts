/**
 * The public settings the console starts from, served by the API at `GET /api/console/config`. This route and
 * `POST /api/dev/session` belong to the console, not to the JSON contract, so they are read with plain `fetch`;
 * everything else goes through `@scribe/client`.
 */
export interface ConsoleConfig {
  /** Supabase Auth for sign-in, when the service is configured with `SUPABASE_URL` and `SUPABASE_ANON_KEY`. */
  readonly supabase: { readonly url: string; readonly anon_key: string } | null
  /** The one-click local sign-in is offered: the service signs with its dev secret and this page is on loopback. */
  readonly dev_sign_in: boolean
}

const isConfig = (u: unknown): u is ConsoleConfig =>
  typeof u === "object" &&
  u !== null &&
  "dev_sign_in" in u &&
  typeof u.dev_sign_in === "boolean" &&
  "supabase" in u &&
  (u.supabase === null || typeof u.supabase === "object")

export const fetchConsoleConfig = async (): Promise<ConsoleConfig> => {
  const response = await fetch("/api/console/config", { headers: { accept: "application/json" } })
  if (!response.ok) throw new Error(`The service answered ${response.status} for its console settings`)
  const body: unknown = await response.json()
  if (!isConfig(body)) throw new Error("The service's console settings are not in the expected shape")
  return body
}

export interface DevSession {
  readonly access_token: string
  readonly user: { readonly id: string; readonly email: string }
}

/** Asks the service for a dev token; it answers only on this machine, while no real auth is configured. */
export const fetchDevSession = async (): Promise<DevSession> => {
  const response = await fetch("/api/dev/session", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: "{}"
  })
  if (response.status === 404) {
    throw new Error(
      "The local sign-in is not available: open the console on 127.0.0.1 or localhost, with no auth configured"
    )
  }
  if (!response.ok) throw new Error(`The local sign-in failed (${response.status})`)
  const body = (await response.json()) as DevSession
  if (typeof body.access_token !== "string") throw new Error("The local sign-in answered without a token")
  return body
}
