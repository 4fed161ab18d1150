import { Command, Options } from "@effect/cli"
import { ScribeClient } from "@scribe/client/ScribeClient"
import * as Effect from "effect/Effect"
import { allEmails } from "../AllEmails"
import { BadInput } from "../CliError"
import * as Connection from "../Connection"
import { formatTable, shortTime } from "../Table"

const options = {
  ...Connection.options,
  limit: Options.integer("limit").pipe(Options.withDescription("How many emails (1–100)"), Options.withDefault(20)),
  offset: Options.integer("offset").pipe(
    Options.withDescription("How many of the newest to skip"),
    Options.withDefault(0)
  ),
  all: Options.boolean("all").pipe(Options.withDescription("Every email, not just one page")),
  includeDiscarded: Options.boolean("include-discarded").pipe(Options.withDescription("Also list discarded emails"))
}

/** `scribe history`: the caller's emails, newest first. */
export const historyCommand = Command.make("history", options, (input) =>
  Effect.gen(function* () {
    if (!input.all && (input.limit < 1 || input.limit > 100)) {
      return yield* new BadInput({ message: `--limit must be between 1 and 100, got ${input.limit}` })
    }
    if (input.offset < 0) return yield* new BadInput({ message: `--offset must be 0 or more, got ${input.offset}` })
    yield* Connection.withConnection(input, () =>
      Effect.gen(function* () {
        const client = yield* ScribeClient
        const emails = input.all
          ? yield* allEmails({ includeDiscarded: input.includeDiscarded })
          : yield* client.listEmails({
              limit: input.limit,
              offset: input.offset,
              include_discarded: input.includeDiscarded
            })
        if (emails.length === 0) return yield* Effect.sync(() => process.stdout.write("No emails yet.\n"))
        const rows = emails.map((email) => [
          shortTime(email.created_at),
          email.recipient_name,
          email.recipient_interest,
          email.is_confident ? "yes" : "no",
          email.displayed ? "" : "discarded",
          email.id
        ])
        const lines = formatTable(["CREATED", "RECIPIENT", "INTEREST", "CONFIDENT", "", "ID"], rows, {
          width: process.stdout.columns ?? 160,
          flexible: 2
        })
        yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
      })
    )
  })
).pipe(Command.withDescription("Your emails, newest first"))
