import { Command, Options } from "@effect/cli"
import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import * as Polling from "@scribe/client/Polling"
import { type QueueItem, ScribeClient } from "@scribe/client/ScribeClient"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Connection from "../Connection"
import * as Screen from "../Screen"
import { formatTable, shortTime } from "../Table"

const options = {
  ...Connection.options,
  once: Options.boolean("once").pipe(Options.withDescription("Print the table once, even in a terminal"))
}

const summary = (items: ReadonlyArray<QueueItem>) => {
  const count = (status: QueueItem["status"]) => items.filter((item) => item.status === status).length
  return (
    `${items.length} job${items.length === 1 ? "" : "s"} in the last 24 hours: ${count("pending")} pending, ` +
    `${count("processing")} processing, ${count("completed")} completed, ${count("failed")} failed`
  )
}

/** The caller's queue as a table, the most recent jobs that fit in `height` lines (all when unbounded). */
export const queueTable = (items: ReadonlyArray<QueueItem>, width: number, height = Number.POSITIVE_INFINITY) => {
  const shown = items.slice(Math.max(0, items.length - Math.max(1, height - 3)))
  const rows = shown.map((item) => [
    shortTime(item.created_at),
    item.recipient_name,
    item.status,
    item.position === null ? "" : `#${item.position}`,
    item.status === "failed" ? (item.error_message ?? "") : (item.current_step ?? ""),
    String(item.attempts),
    item.id
  ])
  const table = formatTable(["CREATED", "RECIPIENT", "STATUS", "LINE", "STEP / ERROR", "TRIES", "ID"], rows, {
    width,
    flexible: 4
  })
  const hidden = items.length - shown.length
  return [
    summary(items),
    ...table,
    ...(hidden > 0 ? [`… ${hidden} older job${hidden === 1 ? "" : "s"} not shown`] : [])
  ]
}

/** `scribe queue`: the caller's jobs of the last 24 hours, redrawn every 2 s in a terminal (printed once elsewhere). */
export const queueCommand = Command.make("queue", options, (input) =>
  Connection.withConnection(input, () =>
    Effect.gen(function* () {
      const client = yield* ScribeClient
      if (input.once || !Screen.isInteractive()) {
        const items = yield* client.listQueue()
        const lines = queueTable(items, process.stdout.columns ?? 160)
        return yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
      }
      const screen = Screen.region()
      const doc = (items: ReadonlyArray<QueueItem>) => {
        const { width, height } = Screen.size()
        const lines = [...queueTable(items, width, height - 1), "Refreshed every 2 s · Ctrl-C to quit"]
        return AnsiDoc.vsep(lines.map(AnsiDoc.text))
      }
      yield* Stream.repeatEffectWithSchedule(client.listQueue(), Schedule.spaced(Polling.defaultInterval)).pipe(
        Stream.runForEach((items) => screen.draw(doc(items))),
        Effect.ensuring(screen.close())
      )
    })
  )
).pipe(Command.withDescription("Your jobs of the last 24 hours, live (refreshed every 2 s)"))
