import { useState } from "react"
import { useAuth } from "../auth/Auth"
import { Field } from "../components/Field"
import { Notice } from "../components/States"
import { describeError } from "../lib/Errors"

/** Email + password or a magic link with Supabase; on this machine with no auth configured, the local sign-in. */
export const SignInPage = () => {
  const auth = useAuth()
  const [email, setEmail] = useState("")
  const [password, setPassword] = useState("")
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [sent, setSent] = useState(false)
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await f()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  const supabase = auth.config.supabase !== null
  return (
    <main className="signin" id="main">
      <div className="card signin-card">
        <h1>
          <span className="logo" aria-hidden="true">
            ✎
          </span>{" "}
          Scribe
        </h1>
        <p className="lead">Personalised emails to professors, grounded in their real work.</p>
        {supabase ? (
          <form
            onSubmit={(e) => {
              e.preventDefault()
              void run(() => auth.signInWithPassword(email, password))
            }}
          >
            <Field label="Email">
              {(props) => (
                <input
                  {...props}
                  type="email"
                  autoComplete="email"
                  required
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                />
              )}
            </Field>
            <Field label="Password" hint="Or leave it empty and get a sign-in link by email.">
              {(props) => (
                <input
                  {...props}
                  type="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
            <div className="actions">
              <button type="submit" disabled={busy || email === "" || password === ""}>
                Sign in
              </button>
              <button
                type="button"
                className="secondary"
                disabled={busy || email === ""}
                onClick={() =>
                  void run(async () => {
                    await auth.sendMagicLink(email)
                    setSent(true)
                  })
                }
              >
                Email me a link
              </button>
            </div>
            {sent && <Notice tone="ok">Check your inbox: the link signs you in here.</Notice>}
          </form>
        ) : auth.config.dev_sign_in ? (
          <>
            <p>
              This Scribe runs locally with no sign-in service configured. Sign in as the local developer account; it
              works only from this machine.
            </p>
            <div className="actions">
              <button type="button" disabled={busy} onClick={() => void run(auth.signInLocally)}>
                Sign in locally
              </button>
            </div>
          </>
        ) : (
          <Notice tone="warn">
            Sign-in is not available here: configure <code>SUPABASE_URL</code> and <code>SUPABASE_ANON_KEY</code> on the
            service, or open the console on this machine (127.0.0.1 or localhost).
          </Notice>
        )}
        {(error ?? auth.linkError) !== null && (
          <div className="state state-error" role="alert">
            <p>
              {error ??
                `That sign-in link did not work: ${auth.linkError}. Ask for a new one, or sign in with your password.`}
            </p>
          </div>
        )}
      </div>
    </main>
  )
}
