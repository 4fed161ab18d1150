import { Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { describeFailure, ExitCode } from "./CliError"
import { batchCommand } from "./commands/BatchCommand"
import { exportCommand } from "./commands/ExportCommand"
import { generateCommand } from "./commands/GenerateCommand"
import { historyCommand } from "./commands/HistoryCommand"
import { loginCommand } from "./commands/LoginCommand"
import { queueCommand } from "./commands/QueueCommand"
import { templatesCommand } from "./commands/TemplatesCommand"

const scribe = Command.make("scribe").pipe(
  Command.withDescription("Scribe from the command line: professors from a spreadsheet in, emails out"),
  Command.withSubcommands([
    loginCommand,
    generateCommand,
    batchCommand,
    queueCommand,
    historyCommand,
    exportCommand,
    templatesCommand
  ])
)

const cli = Command.run(scribe, { name: "scribe", version: "0.1.0" })

// `pnpm scribe …` runs in the repository's root: paths on the command line are meant from where pnpm was started.
if (process.env.npm_lifecycle_event === "scribe" && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD)

const printError = (message: string) =>
  Effect.sync(() => {
    if (message !== "") process.stderr.write(`${message}\n`)
  })

/** Every outcome becomes an exit code; messages are printed here once (the CLI library prints its own). */
const program = Effect.suspend(() => cli(process.argv)).pipe(
  Effect.as<number>(ExitCode.ok),
  Effect.catchAll((error) => {
    if (ValidationError.isValidationError(error)) return Effect.succeed<number>(ExitCode.badInput)
    const { code, message } = describeFailure(error)
    return Effect.as(printError(message), code)
  }),
  Effect.catchAllDefect((defect) => Effect.as(printError(`Unexpected error: ${Cause.pretty(Cause.die(defect))}`), 1)),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit) && typeof exit.value === "number"
        ? exit.value
        : Exit.isInterrupted(exit)
          ? ExitCode.interrupted
          : ExitCode.failed
    )
})
