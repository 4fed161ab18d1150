import { useMutation } from "@tanstack/react-query"
import { useState } from "react"
import { Link, useLocation } from "wouter"
import { useScribe } from "../api/Scribe"
import { Field } from "../components/Field"
import { ErrorBox, Loading, Notice } from "../components/States"
import { fieldMessages, validationDetail } from "../lib/Errors"
import { useSavedTemplate } from "../lib/SavedTemplate"
import { interestProblems, nameProblems, templateProblems } from "../lib/TemplateRules"

/** One email: a professor and their research, written from the saved template. */
export const ComposePage = () => {
  const { client } = useScribe()
  const { query } = useSavedTemplate()
  const [, navigate] = useLocation()
  const [name, setName] = useState("")
  const [interest, setInterest] = useState("")
  const [submitted, setSubmitted] = useState(false)
  const template = query.data ?? null
  const generate = useMutation({
    mutationFn: () =>
      client.generate({
        email_template: template ?? "",
        recipient_name: name.trim(),
        recipient_interest: interest.trim()
      }),
    onSuccess: ({ task_id }) => navigate(`/tasks/${task_id}`)
  })

  if (query.isPending) return <Loading />
  if (query.isError) return <ErrorBox error={query.error} retry={() => void query.refetch()} />

  const server = fieldMessages(generate.error)
  const nameError = server.get("recipient_name") ?? (submitted ? nameProblems(name.trim())[0] : undefined)
  const interestError =
    server.get("recipient_interest") ?? (submitted ? interestProblems(interest.trim())[0] : undefined)
  const templateError = server.get("email_template") ?? (template === null ? undefined : templateProblems(template)[0])

  return (
    <div className="page">
      <h1>Write an email</h1>
      {template === null ? (
        <Notice tone="info">
          Start with your template: <Link href="/template">write and save it</Link>, then come back.
        </Notice>
      ) : (
        <form
          className="card"
          noValidate
          onSubmit={(e) => {
            e.preventDefault()
            setSubmitted(true)
            if (nameProblems(name.trim()).length === 0 && interestProblems(interest.trim()).length === 0)
              generate.mutate()
          }}
        >
          <Field
            label="Professor's name"
            error={nameError}
            hint="As it appears on their papers, e.g. Prof. Ada Lovelace"
          >
            {(props) => (
              <input
                {...props}
                name="recipient_name"
                autoComplete="off"
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field
            label="Their research interest"
            error={interestError}
            hint="A few words: analytical engines, compilers…"
          >
            {(props) => (
              <input
                {...props}
                name="recipient_interest"
                autoComplete="off"
                value={interest}
                onChange={(e) => setInterest(e.target.value)}
              />
            )}
          </Field>
          {templateError !== undefined && (
            <Notice tone="warn">
              Your template: {templateError} <Link href="/template">Fix it</Link>
            </Notice>
          )}
          {generate.isError && validationDetail(generate.error).length === 0 && <ErrorBox error={generate.error} />}
          <div className="actions">
            <button type="submit" disabled={generate.isPending || templateError !== undefined}>
              {generate.isPending ? "Queuing…" : "Write the email"}
            </button>
            <Link href="/template" className="button-link secondary">
              Edit template
            </Link>
          </div>
        </form>
      )}
    </div>
  )
}
