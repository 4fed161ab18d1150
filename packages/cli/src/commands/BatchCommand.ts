import { Args, Command, Options } from "@effect/cli"
import { ScribeClient } from "@scribe/client/ScribeClient"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Batches from "../Batches"
import * as BatchRun from "../BatchRun"
import { JobsFailed } from "../CliError"
import * as Connection from "../Connection"
import * as EmailFiles from "../EmailFiles"
import * as EmbeddedServer from "../EmbeddedServer"
import * as LiveOutput from "../LiveOutput"
import * as ProgressView from "../ProgressView"
import * as Recipients from "../Recipients"
import * as RecipientTable from "../RecipientTable"
import * as TemplateFile from "../TemplateFile"
import { plural } from "../Words"

const file = Args.file({ name: "FILE", exists: "yes" }).pipe(
  Args.withDescription("A .csv (UTF-8) or .xlsx file: a header row, then one row per recipient")
)

const options = {
  ...Connection.options,
  template: Options.file("template", { exists: "yes" }).pipe(
    Options.withDescription("The email template (UTF-8 text, 10–5000 characters, at least one {{placeholder}})")
  ),
  nameColumn: Options.text("name-column").pipe(
    Options.withDescription("The header of the names column (default: name, recipient_name or professor)"),
    Options.optional
  ),
  interestColumn: Options.text("interest-column").pipe(
    Options.withDescription("The header of the interests column (default: interest, research or recipient_interest)"),
    Options.optional
  ),
  sheet: Options.text("sheet").pipe(
    Options.withDescription("The .xlsx sheet to read (default: the first)"),
    Options.optional
  ),
  out: Options.directory("out").pipe(
    Options.withDescription("Where the emails are written, one Markdown file per row"),
    Options.withDefault("emails")
  ),
  cancelOnExit: Options.boolean("cancel-on-exit").pipe(
    Options.withDescription("On Ctrl-C, cancel the jobs still pending (by default they go on)")
  ),
  check: Options.boolean("check").pipe(Options.withDescription("Only check the file and the template; submit nothing"))
}

const footerFor = (embedded: boolean, dataDir: string, cancelOnExit: boolean) => {
  const every = "Refreshed every 2 s · "
  if (cancelOnExit) return `${every}Ctrl-C cancels the pending jobs and stops`
  if (!embedded) return `${every}Ctrl-C stops watching (the jobs go on on the server)`
  return dataDir === "memory"
    ? `${every}Ctrl-C stops watching and the embedded service (in memory: unfinished jobs are lost)`
    : `${every}Ctrl-C stops watching and the embedded service (unfinished jobs resume on its next start)`
}

/** What Ctrl-C left behind, once the pending jobs are cancelled if asked. */
const onCtrlC = (
  view: ProgressView.RunView,
  input: { readonly embedded: boolean; readonly cancelOnExit: boolean },
  dataDir: string
) =>
  Effect.gen(function* () {
    if (input.cancelOnExit) {
      const { cancelled, notCancelled } = yield* BatchRun.cancelPending(view)
      const late = notCancelled > 0 ? `; ${notCancelled} had already started and go on` : ""
      return `Stopped. Cancelled ${plural(cancelled, "pending job")}${late}.`
    }
    const unfinished = plural(
      [...view.items.values()].filter((item) => !ProgressView.isFinished(item)).length,
      "unfinished job"
    )
    if (!input.embedded) return `Stopped watching; ${unfinished} go on on the server. Rerun the command to follow them.`
    return dataDir === "memory"
      ? `Stopped watching; ${unfinished} are lost with the in-memory service.`
      : `Stopped watching; ${unfinished} resume when the service starts again.`
  })

/** The closing lines: the counts, every row that did not complete, where the emails went. */
const report = (view: ProgressView.RunView, written: number, out: string) => {
  const counts = ProgressView.tally(view.items.values())
  const gone = counts.gone > 0 ? `, ${counts.gone} no longer listed` : ""
  const misses = [...view.items.values()]
    .filter((item) => item.status === "failed" || item.status === "gone")
    .sort((a, b) => a.row - b.row)
    .map((item) => {
      const why =
        item.status === "failed"
          ? `failed: ${ProgressView.printable(item.error ?? "unknown error")}`
          : "no longer listed"
      return `  row ${item.row} ${ProgressView.printable(item.name)}: ${why}`
    })
  return [
    `Done: ${counts.completed} completed, ${counts.failed} failed${gone} (of ${counts.total}).`,
    ...misses,
    ...(written > 0 ? [`Wrote ${plural(written, "email")} to ${out}/`] : [])
  ]
}

const emailFiles = (view: ProgressView.RunView) =>
  Effect.gen(function* () {
    const client = yield* ScribeClient
    const completed = [...view.items.values()].filter((item) => item.status === "completed" && item.emailId !== null)
    const width = String(Math.max(0, ...completed.map((item) => item.row))).length
    return yield* Effect.forEach(
      completed,
      (item) =>
        Effect.map(
          client.getEmail(item.emailId ?? ""),
          (email) =>
            [
              `row-${String(item.row).padStart(width, "0")}-${EmailFiles.slug(item.name)}.md`,
              EmailFiles.markdown(email)
            ] as const
        ),
      { concurrency: 4 }
    )
  })

/** `scribe batch FILE --template FILE`: every row an email, batches of 100, live progress, a folder of emails. */
export const batchCommand = Command.make("batch", { file, ...options }, (input) =>
  Effect.gen(function* () {
    const table = yield* RecipientTable.read(input.file, { sheet: Option.getOrUndefined(input.sheet) })
    const { recipients, columns } = yield* Recipients.fromTable(table, {
      name: Option.getOrUndefined(input.nameColumn),
      interest: Option.getOrUndefined(input.interestColumn)
    })
    const template = yield* TemplateFile.read(input.template)
    const batches = Batches.split({ recipients, contentHash: table.contentHash, template, columns })
    const summary =
      `Read ${plural(recipients.length, "recipient")} from ${input.file} ` +
      `(names from "${columns[0]}", interests from "${columns[1]}"): ` +
      `${plural(batches.length, "batch", "batches")} of up to ${Batches.batchSize}`
    yield* Effect.sync(() => process.stdout.write(`${summary}\n`))
    if (input.check) return

    yield* Connection.withConnection(input, () =>
      Effect.gen(function* () {
        const dataDir = EmbeddedServer.resolveDataDir(Option.getOrUndefined(input.dataDir))
        const output = LiveOutput.isInteractive()
          ? LiveOutput.terminal(footerFor(input.embedded, dataDir, input.cancelOnExit))
          : LiveOutput.plain()
        const state = yield* Ref.make<ProgressView.RunView>({ batches: [], items: new Map() })
        const final = yield* BatchRun.run({ batches, template, output }, state).pipe(
          Effect.onExit((exit) =>
            Effect.gen(function* () {
              const view = yield* Ref.get(state)
              yield* output.close(Exit.isSuccess(exit) ? exit.value : view)
              if (Exit.isInterrupted(exit)) yield* Effect.flatMap(onCtrlC(view, input, dataDir), output.message)
            })
          )
        )
        const files = yield* emailFiles(final)
        const written = files.length === 0 ? [] : yield* EmailFiles.writeAll(input.out, files)
        const lines = report(final, written.length, input.out)
        yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
        const counts = ProgressView.tally(final.items.values())
        if (counts.completed < counts.total) {
          return yield* new JobsFailed({ failed: counts.total - counts.completed, total: counts.total })
        }
      })
    )
  })
).pipe(Command.withDescription("Write one email per row of a .csv or .xlsx file, with live progress"))
