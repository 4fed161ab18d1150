import type { QueueItem } from "@scribe/client/ScribeClient"
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { Link } from "wouter"
import { useScribe } from "../api/Scribe"
import { Empty, ErrorBox, Loading } from "../components/States"
import { stepLabels } from "../lib/Evidence"
import { isActive, queueInterval } from "../lib/Polling"

export const queueKey = ["queue"] as const

/** The caller's jobs of the last day; polled every 2 s while any is active, not at all once none is. */
export const useQueue = () => {
  const { client } = useScribe()
  return useQuery({
    queryKey: queueKey,
    queryFn: ({ signal }) => client.listQueue({ signal }),
    refetchInterval: (q) => queueInterval(q.state.data),
    refetchIntervalInBackground: false
  })
}

const statusLabel: Record<QueueItem["status"], string> = {
  pending: "waiting",
  processing: "writing",
  completed: "done",
  failed: "failed"
}

const QueueRow = ({ item }: { readonly item: QueueItem }) => {
  const { client } = useScribe()
  const queryClient = useQueryClient()
  const cancel = useMutation({
    mutationFn: () => client.cancel(item.id),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: queueKey })
  })
  return (
    <li className={`queue-item queue-${item.status}`} data-testid="queue-item">
      <div className="queue-main">
        <strong>{item.recipient_name}</strong>
        <span className="muted small"> · {item.recipient_interest}</span>
      </div>
      <div className="queue-state">
        <span className={`badge badge-${item.status}`}>{statusLabel[item.status]}</span>
        {item.position !== null && <span className="position">#{item.position} in line</span>}
        {item.status === "processing" && item.current_step !== null && (
          <span className="small">{stepLabels[item.current_step] ?? item.current_step}</span>
        )}
        {item.status === "completed" && item.email_id !== null && <Link href={`/emails/${item.email_id}`}>Open</Link>}
        {item.status === "failed" && item.error_message !== null && (
          <span className="small error-text">{item.error_message}</span>
        )}
        {item.status === "pending" && (
          <button
            type="button"
            className="secondary small-button"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate()}
            aria-label={`Cancel the email to ${item.recipient_name}`}
          >
            {cancel.isPending ? "Cancelling…" : "Cancel"}
          </button>
        )}
      </div>
      {cancel.isError && <ErrorBox error={cancel.error} />}
    </li>
  )
}

export const QueuePage = () => {
  const queue = useQueue()
  if (queue.isPending) return <Loading />
  if (queue.isError) return <ErrorBox error={queue.error} retry={() => void queue.refetch()} />
  const items = queue.data
  const active = items.filter(isActive).length
  return (
    <div className="page">
      <h1>Queue</h1>
      <p className="lead" aria-live="polite">
        {active > 0
          ? `${active} email${active === 1 ? "" : "s"} in progress; this list refreshes every 2 seconds.`
          : "Nothing in progress."}
      </p>
      {items.length === 0 ? (
        <Empty title="No emails in the last 24 hours">
          <p>
            <Link href="/">Write one</Link> or <Link href="/batch">import a list</Link>.
          </p>
        </Empty>
      ) : (
        <ul className="queue card" aria-label="Your queue, oldest first">
          {items.map((item) => (
            <QueueRow key={item.id} item={item} />
          ))}
        </ul>
      )}
    </div>
  )
}
