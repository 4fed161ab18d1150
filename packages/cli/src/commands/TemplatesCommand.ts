import { Args, Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Connection from "../Connection"
import * as EmailFiles from "../EmailFiles"
import * as ResumeTemplate from "../ResumeTemplate"

const fromResume = Command.make(
  "from-resume",
  {
    ...Connection.options,
    file: Args.file({ name: "FILE.pdf", exists: "yes" }).pipe(Args.withDescription("Your résumé as a PDF")),
    instructions: Options.text("instructions").pipe(
      Options.withDescription('What the template should stress, e.g. "I am applying for a PhD in ML"'),
      Options.optional
    ),
    out: Options.file("out").pipe(
      Options.withDescription("Also write the template's text there, ready for --template"),
      Options.optional
    )
  },
  (input) =>
    Connection.withConnection(input, (connection) =>
      Effect.gen(function* () {
        const template = yield* ResumeTemplate.fromResume(
          connection,
          input.file,
          Option.getOrUndefined(input.instructions)
        )
        const out = input.out
        if (Option.isSome(out)) {
          yield* EmailFiles.writeFile(out.value, `${template.template_text.trimEnd()}\n`)
          yield* Effect.sync(() => process.stderr.write(`Template ${template.id} written to ${out.value}\n`))
        } else {
          yield* Effect.sync(() => process.stderr.write(`Template ${template.id}:\n`))
        }
        yield* Effect.sync(() => process.stdout.write(`${template.template_text.trimEnd()}\n`))
      })
    )
).pipe(Command.withDescription("Upload a PDF résumé; the server writes an email template from it"))

/** `scribe templates …`: templates kept on the server. */
export const templatesCommand = Command.make("templates").pipe(
  Command.withDescription("Email templates on the server"),
  Command.withSubcommands([fromResume])
)
