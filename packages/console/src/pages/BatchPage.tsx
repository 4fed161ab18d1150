import type { BatchResult } from "@scribe/client/ScribeClient"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useMemo, useState } from "react"
import { Link, useLocation } from "wouter"
import { useScribe } from "../api/Scribe"
import { Field } from "../components/Field"
import { ErrorBox, Loading, Notice } from "../components/States"
import { validationDetail } from "../lib/Errors"
import {
  type Candidate,
  candidates,
  chunks,
  guessMapping,
  isSendable,
  type Mapping,
  parseText,
  readFile,
  type Table
} from "../lib/Recipients"
import { useSavedTemplate } from "../lib/SavedTemplate"
import { limits, templateProblems } from "../lib/TemplateRules"
import { queueKey } from "./QueuePage"

/** Up to this many recipients per import; split into batches of 100. */
export const maxImport = 1000

/** A batch the server refused: which one, with what it was sent, and why. */
class BatchFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly batch: ReadonlyArray<Candidate>,
    readonly index: number
  ) {
    super("batch refused")
  }
}

const newKey = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`

const columnName = (table: Table, header: boolean, i: number) =>
  header ? table[0]?.[i] || `Column ${i + 1}` : `Column ${i + 1}`

/** The mapping controls: which column is the name, which the interest, and whether row 1 is a header. */
export const MappingControls = ({
  table,
  mapping,
  onChange
}: {
  readonly table: Table
  readonly mapping: Mapping
  readonly onChange: (m: Mapping) => void
}) => {
  const width = Math.max(1, ...table.slice(0, 20).map((r) => r.length))
  const options = Array.from({ length: width }, (_, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: a column is its index
    <option key={i} value={i}>
      {columnName(table, mapping.header, i)}
    </option>
  ))
  return (
    <fieldset className="mapping">
      <legend>Columns</legend>
      <Field label="Name column">
        {(props) => (
          <select
            {...props}
            value={mapping.name}
            onChange={(e) => onChange({ ...mapping, name: Number(e.target.value) })}
          >
            {options}
          </select>
        )}
      </Field>
      <Field label="Research interest column">
        {(props) => (
          <select
            {...props}
            value={mapping.interest}
            onChange={(e) => onChange({ ...mapping, interest: Number(e.target.value) })}
          >
            {options}
          </select>
        )}
      </Field>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={mapping.header}
          onChange={(e) => onChange({ ...mapping, header: e.target.checked })}
        />
        First row is a header
      </label>
    </fieldset>
  )
}

/** The preview: what will be sent, what is a repeat, and what the server would refuse (its message at the row). */
export const Preview = ({
  rows,
  serverErrors
}: {
  readonly rows: ReadonlyArray<Candidate>
  readonly serverErrors: ReadonlyMap<number, string>
}) => (
  <div className="table-wrap">
    <table className="preview">
      <caption className="sr-only">Recipients to import</caption>
      <thead>
        <tr>
          <th scope="col">Row</th>
          <th scope="col">Name</th>
          <th scope="col">Research interest</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => {
          const server = serverErrors.get(c.row)
          const problem = server ?? c.problems.name ?? c.problems.interest
          const status =
            c.duplicateOf !== null
              ? `Duplicate of row ${c.duplicateOf} — skipped`
              : problem !== undefined
                ? problem
                : "Ready"
          return (
            <tr
              key={c.row}
              className={c.duplicateOf !== null ? "row-dup" : problem !== undefined ? "row-bad" : undefined}
            >
              <td>{c.row}</td>
              <td>{c.name || <span className="muted">(empty)</span>}</td>
              <td>{c.interest || <span className="muted">(empty)</span>}</td>
              <td>{status}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  </div>
)

/** Maps a 422's `items.<i>.<field>` back to the source row of the batch it was sent in. */
const rowErrors = (error: unknown, sent: ReadonlyArray<Candidate>): ReadonlyMap<number, string> => {
  const out = new Map<number, string>()
  for (const d of validationDetail(error)) {
    const [list, index] = d.loc.slice(1)
    const row = list === "items" && typeof index === "number" ? sent[index]?.row : undefined
    if (row !== undefined && !out.has(row)) out.set(row, `${String(d.loc.at(-1))}: ${d.msg}`)
  }
  return out
}

export const BatchPage = () => {
  const { client } = useScribe()
  const queryClient = useQueryClient()
  const { query } = useSavedTemplate()
  const [, navigate] = useLocation()
  const [text, setText] = useState("")
  const [table, setTable] = useState<Table>([])
  const [mapping, setMapping] = useState<Mapping>({ name: 0, interest: 1, header: false })
  const [fileError, setFileError] = useState<unknown>(null)
  const [fileName, setFileName] = useState<string | null>(null)
  const [progress, setProgress] = useState<{ sent: number; of: number } | null>(null)

  const load = (t: Table) => {
    setTable(t)
    setMapping(guessMapping(t))
  }
  const rows = useMemo(() => candidates(table, mapping), [table, mapping])
  const sendable = rows.filter(isSendable)
  const batches = chunks(sendable)
  // One key per batch of this exact preview: a retry after a failure re-sends the same keys, so nothing is queued twice.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the keys belong to the batches' contents
  const keys = useMemo(() => batches.map(() => newKey()), [JSON.stringify(batches)])
  const duplicates = rows.filter((r) => r.duplicateOf !== null).length
  const invalid = rows.filter((r) => r.duplicateOf === null && !isSendable(r)).length

  const submit = useMutation({
    mutationFn: async (template: string) => {
      const results: Array<BatchResult> = []
      for (const [i, batch] of batches.entries()) {
        setProgress({ sent: i, of: batches.length })
        try {
          results.push(
            await client.submitBatch(
              {
                email_template: template,
                items: batch.map((c) => ({ recipient_name: c.name, recipient_interest: c.interest }))
              },
              { idempotencyKey: keys[i] ?? newKey() }
            )
          )
        } catch (error) {
          throw new BatchFailure(error, batch, i)
        }
      }
      return results
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: queueKey })
      navigate("/queue")
    },
    onSettled: () => setProgress(null)
  })
  const failure = submit.error instanceof BatchFailure ? submit.error : null
  const serverErrors = failure === null ? new Map<number, string>() : rowErrors(failure.error, failure.batch)

  if (query.isPending) return <Loading />
  if (query.isError) return <ErrorBox error={query.error} retry={() => void query.refetch()} />
  const template = query.data ?? null
  const templateProblem = template === null ? "Save a template first." : templateProblems(template)[0]
  const tooMany = sendable.length > maxImport

  return (
    <div className="page">
      <h1>Import professors</h1>
      <p className="lead">
        Paste one professor per line (<em>name, research interest</em>) or choose a CSV or Excel file. Up to{" "}
        {limits.batchMax} go in one batch; a longer list is sent as several.
      </p>
      <div className="card">
        <Field label="Paste lines" hint="e.g. Grace Hopper, compilers — tabs or semicolons work too">
          {(props) => (
            <textarea
              {...props}
              rows={6}
              value={text}
              onChange={(e) => {
                setText(e.target.value)
                setFileName(null)
                load(parseText(e.target.value))
              }}
            />
          )}
        </Field>
        <Field label="Or choose a file" hint="CSV, TSV or .xlsx; the first sheet is read">
          {(props) => (
            <input
              {...props}
              type="file"
              accept=".csv,.tsv,.txt,.xlsx,text/csv,text/tab-separated-values,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onChange={(e) => {
                const file = e.target.files?.[0]
                if (file === undefined) return
                setFileError(null)
                setText("")
                setFileName(file.name)
                readFile(file).then(load, setFileError)
              }}
            />
          )}
        </Field>
        {fileError !== null && <ErrorBox error={fileError} />}
      </div>

      {table.length > 0 && (
        <div className="card">
          <h2>Preview{fileName !== null ? ` of ${fileName}` : ""}</h2>
          <MappingControls table={table} mapping={mapping} onChange={setMapping} />
          <p aria-live="polite" className="summary">
            <strong>{sendable.length}</strong> to send
            {batches.length > 1 ? ` in ${batches.length} batches` : ""}
            {duplicates > 0 ? ` · ${duplicates} duplicate${duplicates === 1 ? "" : "s"} skipped` : ""}
            {invalid > 0 ? ` · ${invalid} with problems (fix them in the source, or they are left out)` : ""}
          </p>
          <Preview rows={rows} serverErrors={serverErrors} />
          {templateProblem !== undefined && (
            <Notice tone="warn">
              {templateProblem} <Link href="/template">Open the template</Link>
            </Notice>
          )}
          {tooMany && <Notice tone="warn">At most {maxImport} recipients per import.</Notice>}
          {failure !== null && (
            <>
              <ErrorBox error={failure.error} />
              {failure.index > 0 && (
                <Notice tone="info">
                  The first {failure.index} batch(es) were queued; sending again queues only the rest.
                </Notice>
              )}
            </>
          )}
          <div className="actions">
            <button
              type="button"
              disabled={submit.isPending || sendable.length === 0 || templateProblem !== undefined || tooMany}
              onClick={() => template !== null && submit.mutate(template)}
            >
              {progress !== null
                ? `Sending batch ${progress.sent + 1} of ${progress.of}…`
                : `Queue ${sendable.length} email${sendable.length === 1 ? "" : "s"}`}
            </button>
          </div>
        </div>
      )}
    </div>
  )
}
