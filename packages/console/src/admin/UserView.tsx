import { useQuery } from "@tanstack/react-query"
import { useState } from "react"
import { Link } from "wouter"
import { useScribe } from "../api/Scribe"
import { DataTable } from "../components/DataTable"
import { Empty, ErrorBox, Loading } from "../components/States"
import type { AdminJob, AdminTemplate, AdminUser, EmailPage } from "./AdminTypes"
import { isForbidden, Restricted } from "./Restricted"

/** Every user, as the operators' listing shows them. */
export const useUsers = () => {
  const { contract } = useScribe()
  return useQuery({
    queryKey: ["admin", "users"],
    queryFn: () => contract.call<ReadonlyArray<AdminUser>>("GET", "/api/admin/users")
  })
}

/** One user: their figures, templates and emails, page by page. */
export const UserView = ({ userId }: { readonly userId: string }) => {
  const { contract } = useScribe()
  const [page, setPage] = useState(1)
  const user = useUsers().data?.find((u) => u.id === userId)
  const emails = useQuery({
    queryKey: ["admin", "user-emails", userId, page],
    queryFn: () =>
      contract.call<EmailPage>("GET", "/api/admin/users/:user_id/emails", {
        path: { user_id: userId },
        urlParams: { page, per_page: 20 }
      })
  })
  const jobs = useQuery({
    queryKey: ["admin", "user-queue", userId],
    queryFn: () =>
      contract.call<ReadonlyArray<AdminJob>>("GET", "/api/admin/users/:user_id/queue", {
        path: { user_id: userId },
        urlParams: { limit: 20 }
      }),
    enabled: emails.isSuccess
  })
  const templates = useQuery({
    queryKey: ["admin", "user-templates", userId],
    queryFn: () =>
      contract.call<ReadonlyArray<AdminTemplate>>("GET", "/api/admin/users/:user_id/templates", {
        path: { user_id: userId }
      }),
    enabled: emails.isSuccess
  })
  const who = user?.display_name ?? user?.email ?? userId
  if (emails.isError && isForbidden(emails.error)) return <Restricted />
  return (
    <>
      <p>
        <Link href="/">← All users</Link>
      </p>
      <section className="card" aria-labelledby="user-emails-title">
        <h2 id="user-emails-title" className="break">
          Emails of {who}
        </h2>
        {user !== undefined && (
          <p className="muted small">
            {[
              user.display_name !== null ? user.email : null,
              `since ${user.created_at.toLocaleDateString()}`,
              user.onboarded ? "onboarded" : null
            ]
              .filter(Boolean)
              .join(" · ")}
          </p>
        )}
        {emails.isPending ? (
          <Loading />
        ) : emails.isError ? (
          <ErrorBox error={emails.error} retry={() => void emails.refetch()} />
        ) : emails.data.items.length === 0 ? (
          <Empty title="No emails" />
        ) : (
          <>
            <ul className="list">
              {emails.data.items.map((e) => (
                <li key={e.id} className="list-item">
                  <div className="row">
                    <strong>{e.recipient_name}</strong>
                    <span className="muted small">
                      {e.created_at.toLocaleString()}
                      {e.displayed ? "" : " · discarded"}
                    </span>
                  </div>
                  <p className="clamp">{e.email_message}</p>
                </li>
              ))}
            </ul>
            <div className="actions">
              <button type="button" className="secondary" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Previous
              </button>
              <span className="muted">
                Page {emails.data.page} of {Math.max(1, emails.data.pages)} ({emails.data.total} emails)
              </span>
              <button
                type="button"
                className="secondary"
                disabled={page >= emails.data.pages}
                onClick={() => setPage((p) => p + 1)}
              >
                Next
              </button>
            </div>
          </>
        )}
      </section>
      <section className="card" aria-labelledby="user-jobs-title">
        <h2 id="user-jobs-title">Recent jobs</h2>
        {jobs.isPending ? (
          <Loading />
        ) : jobs.isError ? (
          <ErrorBox error={jobs.error} retry={() => void jobs.refetch()} />
        ) : jobs.data.length === 0 ? (
          <Empty title="No jobs" />
        ) : (
          <DataTable
            columns={["Recipient", "Status", "Attempts", "Submitted"]}
            items={jobs.data}
            rowKey={(j) => j.id}
            cells={(j) => (
              <>
                <td>
                  {j.recipient_name}
                  {j.error_message !== null && <div className="error-text small">{j.error_message}</div>}
                </td>
                <td>{j.status}</td>
                <td>{j.attempts}</td>
                <td>{j.created_at.toLocaleString()}</td>
              </>
            )}
          />
        )}
      </section>
      <section className="card" aria-labelledby="user-templates-title">
        <h2 id="user-templates-title">Résumé templates</h2>
        {templates.isPending ? (
          <Loading />
        ) : templates.isError ? (
          <ErrorBox error={templates.error} retry={() => void templates.refetch()} />
        ) : templates.data.length === 0 ? (
          <Empty title="No résumé templates" />
        ) : (
          <ul className="list">
            {templates.data.map((t) => (
              <li key={t.id} className="list-item">
                <p className="clamp">{t.template_text}</p>
                <p className="muted small">
                  {t.created_at.toLocaleString()} · {t.generator === "llm" ? "written by the model" : "without a model"}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}
