import { dirname, join } from "node:path"
import { FileSystem } from "@effect/platform"
import type { Email } from "@scribe/client/ScribeClient"
import { stringify } from "csv-stringify/sync"
import * as Effect from "effect/Effect"
import { Failed } from "./CliError"

/** `Grace Hopper` → `grace-hopper`: a file name part every file system takes. */
export const slug = (text: string) =>
  text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60) || "recipient"

/** One email as Markdown: YAML front matter (values JSON-quoted, which YAML reads), then the message. */
export const markdown = (email: Email) => {
  const front = {
    id: email.id,
    recipient_name: email.recipient_name,
    recipient_interest: email.recipient_interest,
    created_at: email.created_at.toISOString(),
    template_type: email.template_type,
    is_confident: email.is_confident
  }
  const yaml = Object.entries(front)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join("\n")
  return `---\n${yaml}\n---\n\n${email.email_message.trimEnd()}\n`
}

const columns = [
  "id",
  "created_at",
  "recipient_name",
  "recipient_interest",
  "template_type",
  "is_confident",
  "displayed",
  "email_message"
] as const

/** The emails as one CSV (RFC 4180, UTF-8, a header row), ready for a spreadsheet or a mail merge. */
export const csv = (emails: ReadonlyArray<Email>) =>
  stringify(
    emails.map((email) => ({ ...email, created_at: email.created_at.toISOString() })),
    { header: true, columns: [...columns], cast: { boolean: (value) => String(value) } }
  )

/** The emails as a JSON array, as the API returns them. */
export const json = (emails: ReadonlyArray<Email>) => `${JSON.stringify(emails, null, 2)}\n`

const failedWrite = (path: string) => (error: { readonly message: string }) =>
  new Failed({ message: `Cannot write ${path}: ${error.message}` })

/** Writes `files` (name → content) into `dir`, creating it; returns the paths written. */
export const writeAll = (dir: string, files: ReadonlyArray<readonly [string, string]>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(failedWrite(dir)))
    const paths: Array<string> = []
    for (const [name, content] of files) {
      const path = join(dir, name)
      yield* fs.writeFileString(path, content).pipe(Effect.mapError(failedWrite(path)))
      paths.push(path)
    }
    return paths
  })

/** Writes one file, creating its folder. */
export const writeFile = (path: string, content: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(dirname(path), { recursive: true }).pipe(Effect.mapError(failedWrite(path)))
    yield* fs.writeFileString(path, content).pipe(Effect.mapError(failedWrite(path)))
  })
