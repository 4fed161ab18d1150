import { Command, Options } from "@effect/cli"
import * as Polling from "@scribe/client/Polling"
import { ScribeClient, type TaskStatus } from "@scribe/client/ScribeClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import { BadInput, JobsFailed } from "../CliError"
import * as Connection from "../Connection"
import * as EmailFiles from "../EmailFiles"
import * as ProgressView from "../ProgressView"
import * as Recipients from "../Recipients"
import * as TemplateFile from "../TemplateFile"

const options = {
  ...Connection.options,
  name: Options.text("name").pipe(
    Options.withDescription('The recipient, e.g. "Prof. Ada Lovelace" (2–255 characters)')
  ),
  interest: Options.text("interest").pipe(
    Options.withDescription('Their research interest, e.g. "analytical engines" (2–500 characters)')
  ),
  template: Options.file("template", { exists: "yes" }).pipe(
    Options.withDescription("The email template (UTF-8 text, 10–5000 characters, at least one {{placeholder}})")
  ),
  out: Options.file("out").pipe(
    Options.withDescription("Write the email there as Markdown instead of printing its text"),
    Options.optional
  ),
  cancelOnExit: Options.boolean("cancel-on-exit").pipe(
    Options.withDescription("On Ctrl-C, cancel the job if it is still pending (by default it goes on)")
  )
}

const checkRecipient = (name: string, interest: string) => {
  const problems = [
    Option.fromNullable(Recipients.lengthError(name, Recipients.limits.name)).pipe(Option.map((p) => `--name ${p}`)),
    Option.fromNullable(Recipients.lengthError(interest, Recipients.limits.interest)).pipe(
      Option.map((p) => `--interest ${p}`)
    )
  ].flatMap((p) => (Option.isSome(p) ? [p.value] : []))
  if (problems.length > 0) return Either.left(new BadInput({ message: `${problems.join("; ")}.` }))
  return Either.mapLeft(
    Recipients.decodeItem({ recipient_name: name, recipient_interest: interest }),
    (error) =>
      new BadInput({
        message: ParseResult.ArrayFormatter.formatErrorSync(error)
          .map((issue) => `--${issue.path[0] === "recipient_name" ? "name" : "interest"}: ${issue.message}`)
          .join("; ")
      })
  )
}

const describe = (status: TaskStatus) => {
  if (status.status === "STARTED" && status.result !== null && "current_step" in status.result) {
    return `processing (${status.result.current_step ?? "starting"})`
  }
  return { PENDING: "pending", STARTED: "processing", SUCCESS: "completed", FAILURE: "failed" }[status.status]
}

/** Progress on stderr, so stdout carries only the email: one line redrawn in a terminal, lines on change elsewhere. */
const progress = () => {
  const interactive = process.stderr.isTTY === true && process.env.TERM !== "dumb"
  let last = ""
  return {
    onStatus: (status: TaskStatus) =>
      Effect.sync(() => {
        const line = `Task ${status.task_id}: ${describe(status)}`
        if (line === last) return
        last = line
        process.stderr.write(interactive ? `\r\x1b[2K${line}` : `${line}\n`)
      }),
    done: Effect.sync(() => {
      if (interactive && last !== "") process.stderr.write("\n")
    })
  }
}

/** `scribe generate --name … --interest … --template FILE`: one email, its progress polled every 2 s. */
export const generateCommand = Command.make("generate", options, (input) =>
  Effect.gen(function* () {
    const name = input.name.trim()
    const interest = input.interest.trim()
    yield* checkRecipient(name, interest)
    const template = yield* TemplateFile.read(input.template)
    yield* Connection.withConnection(input, () =>
      Effect.gen(function* () {
        const client = yield* ScribeClient
        const { task_id } = yield* client.generate({
          email_template: template,
          recipient_name: name,
          recipient_interest: interest
        })
        const shown = progress()
        const email = yield* Polling.waitForTask(task_id, { onStatus: shown.onStatus }).pipe(
          Effect.ensuring(shown.done),
          Effect.onInterrupt(() =>
            input.cancelOnExit
              ? client.cancel(task_id).pipe(
                  Effect.matchEffect({
                    onSuccess: () => Effect.sync(() => process.stderr.write("Cancelled the pending job.\n")),
                    onFailure: () =>
                      Effect.sync(() => process.stderr.write("The job had already started; it goes on.\n"))
                  })
                )
              : Effect.sync(() => process.stderr.write(`Stopped watching; the job goes on (task ${task_id}).\n`))
          ),
          Effect.catchTag("TaskFailed", (failure) =>
            Effect.zipRight(
              Effect.sync(() =>
                process.stderr.write(
                  `Failed${failure.failedStep === null ? "" : ` in ${failure.failedStep}`}: ${ProgressView.printable(failure.message)}\n`
                )
              ),
              Effect.fail(new JobsFailed({ failed: 1, total: 1 }))
            )
          )
        )
        const out = input.out
        if (Option.isSome(out)) {
          yield* EmailFiles.writeFile(out.value, EmailFiles.markdown(email))
          yield* Effect.sync(() => process.stderr.write(`Wrote the email to ${out.value}\n`))
        } else {
          yield* Effect.sync(() => process.stdout.write(`${email.email_message.trimEnd()}\n`))
        }
      })
    )
  })
).pipe(Command.withDescription("Write one email, showing its progress"))
