import type { ReactNode } from "react"
import { describeError } from "../lib/Errors"

export const Loading = ({ label = "Loading…" }: { readonly label?: string }) => (
  <p className="state state-loading" role="status" aria-live="polite">
    <span className="spinner" aria-hidden="true" /> {label}
  </p>
)

export const ErrorBox = ({ error, retry }: { readonly error: unknown; readonly retry?: () => void }) => (
  <div className="state state-error" role="alert">
    <p>{describeError(error)}</p>
    {retry !== undefined && (
      <button type="button" className="secondary" onClick={retry}>
        Try again
      </button>
    )}
  </div>
)

export const Empty = ({ title, children }: { readonly title: string; readonly children?: ReactNode }) => (
  <div className="state state-empty">
    <p className="state-title">{title}</p>
    {children}
  </div>
)

export const Notice = ({ tone, children }: { readonly tone: "info" | "ok" | "warn"; readonly children: ReactNode }) => (
  <div className={`notice notice-${tone}`} role={tone === "warn" ? "alert" : "status"}>
    {children}
  </div>
)
