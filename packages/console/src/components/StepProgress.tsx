import type { TaskStatus } from "@scribe/client/ScribeClient"
import { seconds, stepLabels, stepOrder } from "../lib/Evidence"

type StepState = "done" | "running" | "waiting" | "failed"

/** Each pipeline step's state and time, from a task's status. */
export const stepStates = (status: TaskStatus | undefined) => {
  const result = status?.result ?? null
  const timings: Partial<Record<string, number>> = result?.step_timings ?? {}
  const current = result !== null && "current_step" in result ? result.current_step : null
  const failed = status?.error?.failed_step ?? null
  return stepOrder.map((step) => {
    const time = timings[step]
    const state: StepState =
      failed === step
        ? "failed"
        : time !== undefined
          ? "done"
          : current === step || (status?.status === "STARTED" && current === "web_scraper" && step === "arxiv_helper")
            ? "running"
            : "waiting"
    return { step, label: stepLabels[step] ?? step, state, time }
  })
}

const marks: Record<StepState, string> = { done: "✓", running: "…", waiting: "·", failed: "✕" }

export const StepProgress = ({ status }: { readonly status: TaskStatus | undefined }) => (
  <ol className="steps" aria-label="Progress">
    {stepStates(status).map((s) => (
      <li key={s.step} className={`step step-${s.state}`}>
        <span className="step-mark" aria-hidden="true">
          {marks[s.state]}
        </span>
        <span className="step-label">{s.label}</span>
        <span className="step-time">
          {s.time !== undefined
            ? seconds(s.time)
            : s.state === "running"
              ? "running"
              : s.state === "failed"
                ? "failed"
                : ""}
        </span>
      </li>
    ))}
  </ol>
)
