import { Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import { allEmails } from "../AllEmails"
import * as Connection from "../Connection"
import * as EmailFiles from "../EmailFiles"

const options = {
  ...Connection.options,
  format: Options.choice("format", ["md", "csv", "json"]).pipe(
    Options.withDescription("md: one Markdown file per email; csv: emails.csv; json: emails.json")
  ),
  out: Options.directory("out").pipe(Options.withDescription("The folder to write into (created if missing)")),
  includeDiscarded: Options.boolean("include-discarded").pipe(Options.withDescription("Also export discarded emails"))
}

/** `scribe export --format md|csv|json --out DIR`: every email of the caller into files. */
export const exportCommand = Command.make("export", options, (input) =>
  Connection.withConnection(input, () =>
    Effect.gen(function* () {
      const emails = yield* allEmails({ includeDiscarded: input.includeDiscarded })
      const files: ReadonlyArray<readonly [string, string]> =
        input.format === "csv"
          ? [["emails.csv", EmailFiles.csv(emails)]]
          : input.format === "json"
            ? [["emails.json", EmailFiles.json(emails)]]
            : emails.map((email) => [
                `${email.created_at.toISOString().slice(0, 10)}-${EmailFiles.slug(email.recipient_name)}-${email.id.slice(0, 8)}.md`,
                EmailFiles.markdown(email)
              ])
      const written = yield* EmailFiles.writeAll(input.out, files)
      const what =
        input.format === "md" ? `${written.length} file${written.length === 1 ? "" : "s"}` : (written[0] ?? "")
      yield* Effect.sync(() =>
        process.stdout.write(
          `Exported ${emails.length} email${emails.length === 1 ? "" : "s"} to ${what}${input.format === "md" ? ` in ${input.out}/` : ""}\n`
        )
      )
    })
  )
).pipe(Command.withDescription("Write your emails to files: Markdown (one per email), CSV or JSON"))
