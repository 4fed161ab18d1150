import { lazy, Suspense, useEffect, useState } from "react"
import { Field } from "../components/Field"
import { ErrorBox, Loading, Notice } from "../components/States"
import { TemplatePreview } from "../components/TemplatePreview"
import { fieldMessages, validationDetail } from "../lib/Errors"
import { features } from "../lib/Features"
import { sampleTemplate, useSavedTemplate } from "../lib/SavedTemplate"
import { limits, placeholderNames, templateProblems } from "../lib/TemplateRules"

const ResumeTemplates = lazy(() => import("./ResumeTemplates"))

/** The template editor: the saved template, its placeholders highlighted, checked live with the server's rules. */
export const TemplatePage = () => {
  const { query, save, where } = useSavedTemplate()
  const [draft, setDraft] = useState<string | null>(null)
  const [touched, setTouched] = useState(false)
  const saved = query.data ?? null
  const text = draft ?? saved ?? sampleTemplate

  useEffect(() => {
    if (save.isSuccess) setDraft(null)
  }, [save.isSuccess])

  if (query.isPending) return <Loading />
  if (query.isError) return <ErrorBox error={query.error} retry={() => void query.refetch()} />

  const live = templateProblems(text)
  const server = fieldMessages(save.error)
  const error = server.get("template") ?? server.get("email_template") ?? (touched ? live[0] : undefined)
  const names = placeholderNames(text)
  const dirty = text !== saved

  return (
    <div className="page">
      <h1>Template</h1>
      <p className="lead">
        Write it once; every email starts from it. Placeholders in double braces — <code>{"{{name}}"}</code>,{" "}
        <code>{"{{research}}"}</code> — are filled from what Scribe finds about each professor.
      </p>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault()
          setTouched(true)
          if (live.length === 0) save.mutate(text)
        }}
      >
        <Field
          label="Email template"
          error={error}
          hint={
            <span className={text.length > limits.templateMax ? "over" : undefined}>
              {text.length} / {limits.templateMax} characters · saved in {where}
            </span>
          }
        >
          {(props) => (
            <textarea
              {...props}
              name="template"
              rows={12}
              value={text}
              spellCheck
              onChange={(e) => {
                setDraft(e.target.value)
                setTouched(true)
                save.reset()
              }}
            />
          )}
        </Field>
        <div className="placeholders" aria-live="polite">
          <span className="muted">Placeholders:</span>{" "}
          {names.length === 0 ? (
            <span className="muted">none yet</span>
          ) : (
            names.map((n) => (
              <span key={n} className="chip">
                {n}
              </span>
            ))
          )}
        </div>
        <TemplatePreview template={text} />
        {save.isError && validationDetail(save.error).length === 0 && <ErrorBox error={save.error} />}
        {save.isSuccess && !dirty && <Notice tone="ok">Template saved.</Notice>}
        <div className="actions">
          <button type="submit" disabled={save.isPending || (touched && live.length > 0)}>
            {save.isPending ? "Saving…" : "Save template"}
          </button>
          {dirty && saved !== null && (
            <button type="button" className="secondary" onClick={() => setDraft(null)}>
              Revert
            </button>
          )}
        </div>
      </form>
      {features.resumeTemplates ? (
        <Suspense fallback={<Loading />}>
          <ResumeTemplates
            onUse={(t) => {
              setDraft(t)
              setTouched(true)
            }}
          />
        </Suspense>
      ) : (
        <p className="muted small">
          Writing a template from your résumé needs a Scribe service with the templates API.
        </p>
      )}
    </div>
  )
}
