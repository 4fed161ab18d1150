import { type ReactNode, useId } from "react"

/**
 * A labelled control with its hint and its error (the server's message for this field, or a live check), wired with
 * `aria-describedby` / `aria-invalid` so a screen reader reads them with the control.
 */
export const Field = ({
  label,
  hint,
  error,
  children
}: {
  readonly label: string
  readonly hint?: ReactNode
  readonly error?: string | undefined
  readonly children: (props: {
    id: string
    "aria-describedby": string | undefined
    "aria-invalid": boolean
  }) => ReactNode
}) => {
  const id = useId()
  const hintId = hint === undefined ? undefined : `${id}-hint`
  const errorId = error === undefined ? undefined : `${id}-error`
  const describedBy = [hintId, errorId].filter((x) => x !== undefined).join(" ") || undefined
  return (
    <div className={`field${error === undefined ? "" : " field-invalid"}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error !== undefined })}
      {hint !== undefined && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error !== undefined && (
        <div className="field-error" id={errorId}>
          {error}
        </div>
      )}
    </div>
  )
}
