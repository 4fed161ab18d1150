import type { Email } from "@scribe/client/ScribeClient"
import { useInfiniteQuery } from "@tanstack/react-query"
import { useEffect, useRef, useState } from "react"
import { Link } from "wouter"
import { useScribe } from "../api/Scribe"
import { CopyButton } from "../components/CopyButton"
import { Empty, ErrorBox, Loading } from "../components/States"
import { downloadCsv, downloadXlsx } from "../lib/Export"
import { useDisplayed } from "./EmailPage"

const pageSize = 20

const HistoryItem = ({ email }: { readonly email: Email }) => {
  const displayed = useDisplayed()
  return (
    <li className={`list-item${email.displayed ? "" : " discarded"}`} data-testid="history-item">
      <div className="row">
        <div>
          <Link href={`/emails/${email.id}`}>
            <strong>{email.recipient_name}</strong>
          </Link>
          <span className="muted small"> · {email.recipient_interest}</span>
          {!email.displayed && <span className="badge badge-warn">discarded</span>}
          {email.is_confident && <span className="badge badge-ok">confident</span>}
        </div>
        <span className="muted small">{email.created_at.toLocaleString()}</span>
      </div>
      <p className="clamp">{email.email_message}</p>
      <div className="actions">
        <CopyButton text={email.email_message} />
        <button
          type="button"
          className="secondary"
          disabled={displayed.isPending}
          onClick={() => displayed.mutate({ id: email.id, displayed: !email.displayed })}
          aria-label={`${email.displayed ? "Discard" : "Restore"} the email to ${email.recipient_name}`}
        >
          {email.displayed ? "Discard" : "Restore"}
        </button>
      </div>
      {displayed.isError && <ErrorBox error={displayed.error} />}
    </li>
  )
}

/** Every email, newest first, 20 at a time as you scroll; discarded ones on request; export what is loaded or all. */
const exportFormats = [
  ["csv", "Export CSV"],
  ["xlsx", "Export Excel"]
] as const

export const HistoryPage = () => {
  const { client } = useScribe()
  const [includeDiscarded, setIncludeDiscarded] = useState(false)
  const [exporting, setExporting] = useState<unknown>(null)
  const emails = useInfiniteQuery({
    queryKey: ["emails", { includeDiscarded }],
    initialPageParam: 0,
    queryFn: ({ pageParam, signal }) =>
      client.listEmails({ limit: pageSize, offset: pageParam, include_discarded: includeDiscarded }, { signal }),
    getNextPageParam: (last, pages) => (last.length < pageSize ? undefined : pages.length * pageSize)
  })
  const sentinel = useRef<HTMLDivElement | null>(null)
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = emails
  useEffect(() => {
    const node = sentinel.current
    if (node === null || !hasNextPage || typeof IntersectionObserver === "undefined") return
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage()
    })
    observer.observe(node)
    return () => observer.disconnect()
  }, [hasNextPage, isFetchingNextPage, fetchNextPage])

  /** Everything matching the filter, not only the pages loaded so far. */
  const all = async (): Promise<ReadonlyArray<Email>> => {
    const out: Array<Email> = []
    for (let offset = 0; ; offset += 100) {
      const page = await client.listEmails({ limit: 100, offset, include_discarded: includeDiscarded })
      out.push(...page)
      if (page.length < 100) return out
    }
  }
  const exportAs = async (kind: "csv" | "xlsx") => {
    setExporting(null)
    try {
      const list = await all()
      if (kind === "csv") downloadCsv(list)
      else await downloadXlsx(list)
    } catch (error) {
      setExporting(error)
    }
  }

  const items = emails.data?.pages.flat() ?? []
  return (
    <div className="page">
      <h1>Emails</h1>
      <div className="toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={includeDiscarded} onChange={(e) => setIncludeDiscarded(e.target.checked)} />
          Show discarded
        </label>
        <div className="actions">
          {exportFormats.map(([format, label]) => (
            <button
              key={format}
              type="button"
              className="secondary"
              onClick={() => void exportAs(format)}
              disabled={items.length === 0}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      {exporting !== null && <ErrorBox error={exporting} />}
      {emails.isPending ? (
        <Loading />
      ) : emails.isError ? (
        <ErrorBox error={emails.error} retry={() => void emails.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={includeDiscarded ? "No emails yet" : "No emails to show"}>
          <p>
            <Link href="/">Write your first</Link>.
          </p>
        </Empty>
      ) : (
        <>
          <ul className="list" aria-label="Your emails, newest first">
            {items.map((e) => (
              <HistoryItem key={e.id} email={e} />
            ))}
          </ul>
          <div ref={sentinel} />
          {emails.isFetchingNextPage ? (
            <Loading label="Loading more…" />
          ) : emails.hasNextPage ? (
            <button type="button" className="secondary" onClick={() => void emails.fetchNextPage()}>
              Load more
            </button>
          ) : (
            <p className="muted small">That is all of them.</p>
          )}
        </>
      )}
    </div>
  )
}
