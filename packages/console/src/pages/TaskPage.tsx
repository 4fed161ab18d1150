import { useQuery } from "@tanstack/react-query"
import { Link } from "wouter"
import { useScribe } from "../api/Scribe"
import { ErrorBox, Loading } from "../components/States"
import { StepProgress } from "../components/StepProgress"
import { pollMs } from "../lib/Polling"
import { EmailView } from "./EmailPage"

/** One generation as it happens: each step with its time, then the email with its evidence. */
export const TaskPage = ({ taskId }: { readonly taskId: string }) => {
  const { client } = useScribe()
  const status = useQuery({
    queryKey: ["task", taskId],
    queryFn: ({ signal }) => client.status(taskId, { signal }),
    refetchInterval: (q) => {
      const s = q.state.data?.status
      return s === "SUCCESS" || s === "FAILURE" ? false : pollMs
    },
    refetchIntervalInBackground: false
  })
  const result = status.data?.result ?? null
  const done = result !== null && "email_id" in result ? result : null
  const emailId = done?.email_id ?? null
  const email = useQuery({
    queryKey: ["email", emailId],
    queryFn: ({ signal }) => client.getEmail(emailId ?? "", { signal }),
    enabled: emailId !== null
  })

  if (status.isPending) return <Loading label="Looking up the task…" />
  if (status.isError) return <ErrorBox error={status.error} retry={() => void status.refetch()} />
  const s = status.data
  const headline =
    s.status === "PENDING"
      ? "Waiting in the queue…"
      : s.status === "STARTED"
        ? "Writing…"
        : s.status === "SUCCESS"
          ? "Done"
          : "It could not be written"

  return (
    <div className="page">
      <h1>{headline}</h1>
      <div className="card" aria-live="polite" aria-busy={s.status === "PENDING" || s.status === "STARTED"}>
        <StepProgress status={s} />
        {done !== null && <p className="muted small">Total {done.generation_time.toFixed(1)} s</p>}
        {s.status === "FAILURE" && s.error !== null && (
          <div className="state state-error" role="alert">
            <p>{s.error.message}</p>
            <p className="small">
              {s.error.type}
              {s.error.failed_step !== null ? ` in ${s.error.failed_step}` : ""}
            </p>
          </div>
        )}
      </div>
      {emailId !== null &&
        (email.isPending ? (
          <Loading label="Opening the email…" />
        ) : email.isError ? (
          <ErrorBox error={email.error} retry={() => void email.refetch()} />
        ) : (
          <EmailView email={email.data} />
        ))}
      <p>
        <Link href="/">Write another</Link> · <Link href="/queue">See the queue</Link>
      </p>
    </div>
  )
}
