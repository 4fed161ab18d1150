import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { useScribe } from "../api/Scribe"
import { Field } from "../components/Field"
import { ErrorBox, Loading } from "../components/States"
import { fieldMessages, validationDetail } from "../lib/Errors"

/** A template the service wrote from a résumé (`GET /api/templates/`). */
interface ResumeTemplate {
  readonly id: string
  readonly pdf_url: string | null
  readonly template_text: string
  readonly user_instructions: string
  readonly generator: "llm" | "deterministic"
  readonly created_at: Date
}

const maxPdfBytes = 10 * 1024 * 1024

/** Templates from the student's résumé PDF: uploaded (multipart) or by URL; the newest can be taken into the editor. */
const ResumeTemplates = ({ onUse }: { readonly onUse: (template: string) => void }) => {
  const { contract } = useScribe()
  const queryClient = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [url, setUrl] = useState("")
  const [instructions, setInstructions] = useState("Keep it short and warm; stress my research experience.")
  const [fileError, setFileError] = useState<string | undefined>()
  const list = useQuery({
    queryKey: ["resume-templates"],
    queryFn: () =>
      contract.call<ReadonlyArray<ResumeTemplate>>("GET", "/api/templates/", { urlParams: { limit: 20, offset: 0 } })
  })
  const create = useMutation({
    mutationFn: () => {
      if (file !== null) {
        const form = new FormData()
        form.append("file", file)
        form.append("user_instructions", instructions)
        return contract.call<ResumeTemplate>("POST", "/api/templates/", { payload: form })
      }
      return contract.call<ResumeTemplate>("POST", "/api/templates/", {
        payload: { pdf_url: url, user_instructions: instructions }
      })
    },
    onSuccess: (t) => {
      void queryClient.invalidateQueries({ queryKey: ["resume-templates"] })
      onUse(t.template_text)
    }
  })
  const server = fieldMessages(create.error)

  return (
    <section className="card" aria-labelledby="resume-title">
      <h2 id="resume-title">From your résumé</h2>
      <p className="muted">
        Upload your résumé as a PDF (at most 10 MB), or give its address, and Scribe drafts a template in your voice.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        <Field label="Résumé (PDF)" error={fileError ?? server.get("file")}>
          {(props) => (
            <input
              {...props}
              type="file"
              accept="application/pdf,.pdf"
              onChange={(e) => {
                const chosen = e.target.files?.[0] ?? null
                setFileError(chosen !== null && chosen.size > maxPdfBytes ? "The PDF is larger than 10 MB" : undefined)
                setFile(chosen)
              }}
            />
          )}
        </Field>
        {file === null && (
          <Field label="…or its address" error={server.get("pdf_url")}>
            {(props) => (
              <input
                {...props}
                type="url"
                placeholder="https://…/resume.pdf"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
              />
            )}
          </Field>
        )}
        <Field
          label="What the template should stress"
          error={server.get("user_instructions")}
          hint="10–2000 characters"
        >
          {(props) => (
            <textarea {...props} rows={3} value={instructions} onChange={(e) => setInstructions(e.target.value)} />
          )}
        </Field>
        {create.isError && validationDetail(create.error).length === 0 && <ErrorBox error={create.error} />}
        <div className="actions">
          <button type="submit" disabled={create.isPending || fileError !== undefined || (file === null && url === "")}>
            {create.isPending ? "Writing…" : "Write a template"}
          </button>
        </div>
      </form>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorBox error={list.error} />
      ) : list.data.length > 0 ? (
        <ul className="list">
          {list.data.map((t) => (
            <li key={t.id} className="list-item">
              <div className="clamp">{t.template_text}</div>
              <div className="row">
                <span className="muted small">
                  {t.created_at.toLocaleString()} ·{" "}
                  {t.generator === "llm" ? "written by the model" : "built without a model"}
                </span>
                <button type="button" className="secondary" onClick={() => onUse(t.template_text)}>
                  Use this
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}

export default ResumeTemplates
