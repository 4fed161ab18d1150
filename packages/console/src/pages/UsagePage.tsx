import type { UsageResponse } from "@scribe/client/UsageApi"
import { useQuery } from "@tanstack/react-query"
import { useScribe } from "../api/Scribe"
import { DataTable } from "../components/DataTable"
import { ErrorBox, Loading } from "../components/States"
import { usd } from "../lib/Evidence"

type Usage = typeof UsageResponse.Type
type Period = Usage["today"] | Usage["last_30_days"]

const Figures = ({ title, period }: { readonly title: string; readonly period: Period }) => (
  <section className="card" aria-label={title}>
    <h2>{title}</h2>
    <dl className="figures big">
      <div>
        <dt>Emails written</dt>
        <dd>{period.emails_generated}</dd>
      </div>
      <div>
        <dt>Failed</dt>
        <dd>{period.jobs_failed}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>{period.total_tokens.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Estimated cost</dt>
        <dd>{usd(period.cost_usd)}</dd>
      </div>
    </dl>
    {period.models.length > 0 && (
      <DataTable
        columns={["Model", "Calls", "Prompt", "Completion", "Cost"]}
        items={period.models}
        rowKey={(m) => m.model}
        cells={(m) => (
          <>
            <td>{m.model}</td>
            <td>{m.calls}</td>
            <td>{m.prompt_tokens.toLocaleString()}</td>
            <td>{m.completion_tokens.toLocaleString()}</td>
            <td>{usd(m.cost_usd)}</td>
          </>
        )}
      />
    )}
  </section>
)

export const UsagePage = () => {
  const { contract } = useScribe()
  const usage = useQuery({
    queryKey: ["usage"],
    queryFn: () => contract.call<Usage>("GET", "/api/usage/")
  })
  return (
    <div className="page">
      <h1>Usage</h1>
      {usage.isPending ? (
        <Loading />
      ) : usage.isError ? (
        <ErrorBox error={usage.error} retry={() => void usage.refetch()} />
      ) : (
        <>
          <Figures title={`Today (${usage.data.today.day}, UTC)`} period={usage.data.today} />
          <Figures
            title={`Last 30 days (${usage.data.last_30_days.from} – ${usage.data.last_30_days.to})`}
            period={usage.data.last_30_days}
          />
          <p className="muted small">Costs are estimates from the service's price table, not a bill.</p>
        </>
      )}
    </div>
  )
}
