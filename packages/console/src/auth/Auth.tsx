import type { SupabaseClient } from "@supabase/supabase-js"
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react"
import { type ConsoleConfig, fetchDevSession } from "../api/ConsoleConfig"

/** Who is signed in, and how. */
export interface SignedIn {
  readonly kind: "supabase" | "dev"
  readonly userId: string
  readonly email: string | null
  /** The token's `app_metadata.role`, when it has one (`admin` for operators). */
  readonly role: string | null
}

export type AuthState =
  | { readonly status: "loading" }
  | { readonly status: "signedOut" }
  | ({ readonly status: "signedIn" } & SignedIn)

export interface Auth {
  readonly state: AuthState
  readonly config: ConsoleConfig
  /** Why the sign-in link this page was opened from did not sign in (expired, used), as Supabase put it. */
  readonly linkError: string | null
  /** The current access token (refreshed by Supabase when near expiry), or `null` when signed out. */
  readonly getToken: () => Promise<string | null>
  readonly signInWithPassword: (email: string, password: string) => Promise<void>
  /** Sends a magic link to `email`; the link brings the user back here signed in. */
  readonly sendMagicLink: (email: string) => Promise<void>
  readonly signInLocally: () => Promise<void>
  readonly signOut: () => Promise<void>
}

const AuthContext = createContext<Auth | null>(null)

export const useAuth = (): Auth => {
  const auth = useContext(AuthContext)
  if (auth === null) throw new Error("useAuth outside <AuthProvider>")
  return auth
}

const devKey = "scribe.devToken"

/** The claims the console shows; the server verifies the token, the console only reads it. */
export const claimsOf = (
  token: string
): { sub?: string; email?: string; exp?: number; app_metadata?: { role?: string } } => {
  try {
    const part = token.split(".")[1] ?? ""
    const json = atob(
      part
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(part.length / 4) * 4, "=")
    )
    return JSON.parse(json) as ReturnType<typeof claimsOf>
  } catch {
    return {}
  }
}

const fromToken = (kind: SignedIn["kind"], token: string): (SignedIn & { status: "signedIn" }) | null => {
  const claims = claimsOf(token)
  if (typeof claims.sub !== "string") return null
  if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return null
  return {
    status: "signedIn",
    kind,
    userId: claims.sub,
    email: claims.email ?? null,
    role: claims.app_metadata?.role ?? null
  }
}

/**
 * A sign-in link that failed brings the browser back with `error_description` in the fragment (or the query); it is
 * read once, and taken out of the address bar so a reload does not show it again.
 */
const takeLinkError = (): string | null => {
  const fragment = new URLSearchParams(window.location.hash.slice(1))
  const query = new URLSearchParams(window.location.search)
  const description = fragment.get("error_description") ?? query.get("error_description")
  if (description === null) return null
  window.history.replaceState(window.history.state, "", window.location.pathname)
  return description
}

const loadSupabase = async (config: NonNullable<ConsoleConfig["supabase"]>): Promise<SupabaseClient> => {
  const { createClient } = await import("@supabase/supabase-js")
  return createClient(config.url, config.anon_key, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true, flowType: "pkce" }
  })
}

/**
 * Sign-in for the console: Supabase Auth (email + password, magic link; the JS client keeps and refreshes the
 * session) when the service is configured with it, and otherwise, on this machine only, the local dev session.
 * Supabase's client is loaded only when it is configured.
 */
export const AuthProvider = ({
  config,
  children
}: {
  readonly config: ConsoleConfig
  readonly children: ReactNode
}) => {
  const [state, setState] = useState<AuthState>({ status: "loading" })
  const [linkError, setLinkError] = useState(() => (config.supabase === null ? null : takeLinkError()))
  useEffect(() => {
    if (state.status === "signedIn") setLinkError(null)
  }, [state.status])
  const supabase = useRef<Promise<SupabaseClient> | null>(null)
  const devToken = useRef<string | null>(null)

  useEffect(() => {
    if (config.supabase === null) {
      const stored = sessionStorage.getItem(devKey)
      const signedIn = stored === null ? null : fromToken("dev", stored)
      devToken.current = signedIn === null ? null : stored
      setState(signedIn ?? { status: "signedOut" })
      return
    }
    const client = loadSupabase(config.supabase)
    supabase.current = client
    let unsubscribe = () => {}
    void client.then(async (sb) => {
      const { data } = await sb.auth.getSession()
      const token = data.session?.access_token
      setState((token && fromToken("supabase", token)) || { status: "signedOut" })
      const sub = sb.auth.onAuthStateChange((_event, session) => {
        const next = session?.access_token ? fromToken("supabase", session.access_token) : null
        setState(next ?? { status: "signedOut" })
      })
      unsubscribe = () => sub.data.subscription.unsubscribe()
    })
    return () => unsubscribe()
  }, [config])

  const getToken = useCallback(async () => {
    if (supabase.current === null) return devToken.current
    const { data } = await (await supabase.current).auth.getSession()
    return data.session?.access_token ?? null
  }, [])

  const requireSupabase = useCallback(async () => {
    if (supabase.current === null) throw new Error("Supabase sign-in is not configured on this service")
    return supabase.current
  }, [])

  const auth = useMemo<Auth>(
    () => ({
      state,
      config,
      linkError,
      getToken,
      signInWithPassword: async (email, password) => {
        const { error } = await (await requireSupabase()).auth.signInWithPassword({ email, password })
        if (error) throw new Error(error.message)
      },
      sendMagicLink: async (email) => {
        const { error } = await (await requireSupabase()).auth.signInWithOtp({
          email,
          options: { emailRedirectTo: window.location.origin, shouldCreateUser: true }
        })
        if (error) throw new Error(error.message)
      },
      signInLocally: async () => {
        const session = await fetchDevSession()
        const signedIn = fromToken("dev", session.access_token)
        if (signedIn === null) throw new Error("The local sign-in answered with an unusable token")
        sessionStorage.setItem(devKey, session.access_token)
        devToken.current = session.access_token
        setState(signedIn)
      },
      signOut: async () => {
        sessionStorage.removeItem(devKey)
        devToken.current = null
        if (supabase.current !== null) await (await supabase.current).auth.signOut()
        setState({ status: "signedOut" })
      }
    }),
    [state, config, linkError, getToken, requireSupabase]
  )
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>
}
