import { useQuery } from "@tanstack/react-query"
import { useState } from "react"
import { Link, Route, Switch } from "wouter"
import { useScribe } from "../api/Scribe"
import { DataTable } from "../components/DataTable"
import { Empty, ErrorBox, Loading } from "../components/States"
import { seconds } from "../lib/Evidence"
import { features } from "../lib/Features"
import { ActivityChart } from "./ActivityChart"
import type { FailedJob, Overview, WeekActivity } from "./AdminTypes"
import { isForbidden, Restricted } from "./Restricted"
import { UserView, useUsers } from "./UserView"

const Figure = ({ label, value }: { readonly label: string; readonly value: string | number }) => (
  <div>
    <dt>{label}</dt>
    <dd>{value}</dd>
  </div>
)

const OverviewView = () => {
  const { contract } = useScribe()
  const [weeks, setWeeks] = useState(12)
  const overview = useQuery({
    queryKey: ["admin", "overview"],
    queryFn: () => contract.call<Overview>("GET", "/api/admin/overview"),
    retry: false
  })
  const activity = useQuery({
    queryKey: ["admin", "activity", weeks],
    queryFn: () => contract.call<ReadonlyArray<WeekActivity>>("GET", "/api/admin/activity", { urlParams: { weeks } }),
    enabled: overview.isSuccess
  })
  const users = useUsers()
  const errors = useQuery({
    queryKey: ["admin", "errors"],
    queryFn: () => contract.call<ReadonlyArray<FailedJob>>("GET", "/api/admin/errors", { urlParams: { limit: 50 } }),
    enabled: overview.isSuccess
  })
  if (overview.isPending) return <Loading />
  if (overview.isError) return isForbidden(overview.error) ? <Restricted /> : <ErrorBox error={overview.error} />
  const o = overview.data
  return (
    <>
      <section className="card" aria-label="Overview">
        <dl className="figures big">
          <Figure label="Users" value={o.total_users} />
          <Figure label="Emails" value={o.total_emails} />
          <Figure label="Success rate" value={`${o.success_rate}%`} />
          <Figure label="Confident" value={`${o.confidence_rate}%`} />
          <Figure label="Mean time" value={seconds(o.avg_gen_time_seconds)} />
          <Figure label="Failed jobs" value={o.error_count} />
          <Figure label="Emails this week" value={o.emails_this_week} />
          <Figure label="Active this week" value={o.active_users_this_week} />
          <Figure label="Résumé templates" value={o.total_templates} />
        </dl>
      </section>
      <section className="card" aria-labelledby="activity-title">
        <div className="row">
          <h2 id="activity-title">Weekly activity</h2>
          <label>
            Weeks{" "}
            <select value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
              {[4, 12, 26, 52].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        {activity.isPending ? (
          <Loading />
        ) : activity.isError ? (
          <ErrorBox error={activity.error} />
        ) : activity.data.length === 0 ? (
          <Empty title="No activity in this period" />
        ) : (
          <ActivityChart weeks={activity.data} />
        )}
      </section>
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorBox error={users.error} />
        ) : (
          <DataTable
            columns={["User", "Emails", "Jobs", "Failed", "Since"]}
            items={users.data}
            rowKey={(u) => u.id}
            cells={(u) => (
              <>
                <td>
                  <Link href={`/users/${u.id}`}>{u.display_name ?? u.email ?? u.id}</Link>
                  {u.display_name !== null && u.email !== null && <div className="muted small">{u.email}</div>}
                </td>
                <td>{u.generation_count}</td>
                <td>{u.queue_submissions}</td>
                <td>{u.failed_count}</td>
                <td>{u.created_at.toLocaleDateString()}</td>
              </>
            )}
          />
        )}
      </section>
      <section className="card" aria-labelledby="errors-title">
        <h2 id="errors-title">Error log</h2>
        {errors.isPending ? (
          <Loading />
        ) : errors.isError ? (
          <ErrorBox error={errors.error} />
        ) : errors.data.length === 0 ? (
          <Empty title="No failed jobs" />
        ) : (
          <ul className="list">
            {errors.data.map((f) => (
              <li key={f.id} className="list-item">
                <div className="row">
                  <strong>
                    {f.recipient_name} <span className="muted small">for {f.user_email ?? f.user_id}</span>
                  </strong>
                  <span className="muted small">{f.created_at.toLocaleString()}</span>
                </div>
                <p className="error-text">{f.error_message ?? "(no message)"}</p>
                <p className="muted small">
                  {[f.error_type, f.current_step, `${f.attempts} attempt(s)`].filter(Boolean).join(" · ")}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}

/** The operators' view: figures, weekly activity, users with their emails, the error log. Loaded on demand. */
const AdminPage = () => (
  <div className="page">
    <h1>Operators</h1>
    {!features.admin ? (
      <div className="state state-error" role="alert">
        <p className="state-title">The operator view is not available on this service.</p>
        <p>
          <Link href="~/">Back to writing</Link>
        </p>
      </div>
    ) : (
      <Switch>
        <Route path="/">
          <OverviewView />
        </Route>
        <Route path="/users/:id">{(params) => <UserView userId={params.id} />}</Route>
      </Switch>
    )}
  </div>
)

export default AdminPage
