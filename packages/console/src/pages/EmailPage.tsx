import type { Email } from "@scribe/client/ScribeClient"
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { Link } from "wouter"
import { useScribe } from "../api/Scribe"
import { CopyButton } from "../components/CopyButton"
import { EvidencePanel } from "../components/EvidencePanel"
import { ErrorBox, Loading } from "../components/States"

/** Discards (`displayed: false`) or restores an email, keeping every cached copy of it in step. */
export const useDisplayed = () => {
  const { client } = useScribe()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ id, displayed }: { readonly id: string; readonly displayed: boolean }) =>
      client.updateEmail(id, { displayed }),
    onSuccess: (email) => {
      queryClient.setQueryData(["email", email.id], email)
      void queryClient.invalidateQueries({ queryKey: ["emails"] })
    }
  })
}

/** The email, ready to copy, with its evidence. */
export const EmailView = ({ email }: { readonly email: Email }) => {
  const displayed = useDisplayed()
  return (
    <>
      <article className="card email" aria-labelledby={`email-${email.id}`}>
        <header className="row">
          <div>
            <h2 id={`email-${email.id}`}>To {email.recipient_name}</h2>
            <p className="muted small">
              {email.recipient_interest} · {email.created_at.toLocaleString()}
              {!email.displayed && <span className="badge badge-warn">discarded</span>}
            </p>
          </div>
          <span className={`badge ${email.is_confident ? "badge-ok" : "badge-warn"}`}>
            {email.is_confident ? "confident" : "check before sending"}
          </span>
        </header>
        <pre className="email-text">{email.email_message}</pre>
        <div className="actions">
          <CopyButton text={email.email_message} label="Copy email" />
          <button
            type="button"
            className="secondary"
            disabled={displayed.isPending}
            onClick={() => displayed.mutate({ id: email.id, displayed: !email.displayed })}
          >
            {email.displayed ? "Discard" : "Restore"}
          </button>
        </div>
        {displayed.isError && <ErrorBox error={displayed.error} />}
      </article>
      <EvidencePanel email={email} />
    </>
  )
}

export const EmailPage = ({ emailId }: { readonly emailId: string }) => {
  const { client } = useScribe()
  const email = useQuery({
    queryKey: ["email", emailId],
    queryFn: ({ signal }) => client.getEmail(emailId, { signal })
  })
  return (
    <div className="page">
      <p>
        <Link href="/history">← All emails</Link>
      </p>
      {email.isPending ? (
        <Loading />
      ) : email.isError ? (
        <ErrorBox error={email.error} retry={() => void email.refetch()} />
      ) : (
        <EmailView email={email.data} />
      )}
    </div>
  )
}
