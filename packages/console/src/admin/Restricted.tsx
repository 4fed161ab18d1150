import { Link } from "wouter"

/** The service refused: the caller is signed in but not an operator. */
export const isForbidden = (error: unknown) =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  (error._tag === "AdminRequired" || error._tag === "Forbidden")

export const Restricted = () => (
  <div className="state state-error" role="alert">
    <p className="state-title">This page is for operators only.</p>
    <p>
      Ask an operator to add your email to <code>SCRIBE_ADMIN_EMAILS</code>, or to give your account the{" "}
      <code>admin</code> role. <Link href="~/">Back to writing</Link>
    </p>
  </div>
)
