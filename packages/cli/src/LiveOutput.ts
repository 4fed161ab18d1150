import * as Effect from "effect/Effect"
import * as ProgressView from "./ProgressView"
import * as Screen from "./Screen"

/** Where a batch's progress goes: a live frame in a terminal, appended lines (only on change) anywhere else. */
export interface LiveOutput {
  /** Shows the run as it is now. */
  readonly update: (run: ProgressView.RunView) => Effect.Effect<void>
  /** A line of its own (above the frame in a terminal). */
  readonly message: (line: string) => Effect.Effect<void>
  /** Draws the final frame (no footer) and gives the cursor back. */
  readonly close: (run: ProgressView.RunView | undefined) => Effect.Effect<void>
}

export const isInteractive = Screen.isInteractive

/** Appended lines, each printed once per change of an item's status or step. */
export const plain = (): LiveOutput => {
  let printed = ProgressView.nothingPrinted
  return {
    update: (run) =>
      Effect.suspend(() => {
        const next = ProgressView.changes(printed, run)
        printed = next.printed
        return next.lines.length === 0
          ? Effect.void
          : Effect.sync(() => process.stdout.write(`${next.lines.join("\n")}\n`))
      }),
    message: (line) => Effect.sync(() => process.stdout.write(`${line}\n`)),
    close: () => Effect.void
  }
}

/** The frame of `ProgressView`, redrawn in place at every poll. */
export const terminal = (footer: string): LiveOutput => {
  const screen = Screen.region()
  let closed = false
  const frame = (run: ProgressView.RunView, withFooter: boolean) =>
    ProgressView.frame(run, { ...Screen.size(), footer: withFooter ? footer : "" })
  return {
    update: (run) => (closed ? Effect.void : screen.draw(frame(run, true))),
    message: screen.message,
    close: (run) =>
      Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return screen.close(run === undefined ? undefined : frame(run, false))
      })
  }
}
