import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import * as Effect from "effect/Effect"

/** Renders a document for a terminal; lines are never re-wrapped (the caller keeps them narrower than the screen). */
export const render = (doc: AnsiDoc.AnsiDoc) => AnsiDoc.render(doc, { style: "pretty", options: { lineWidth: 10_000 } })

const write = (text: string) => Effect.sync(() => void process.stdout.write(text))

/** The terminal's size, with defaults for when it is unknown. */
export const size = () => ({ width: process.stdout.columns ?? 100, height: process.stdout.rows ?? 40 })

/** True when stdout is a terminal that can redraw (not when piped, redirected or `TERM=dumb`). */
export const isInteractive = () => process.stdout.isTTY === true && process.env.TERM !== "dumb"

/**
 * A block of lines at the bottom of the output, redrawn in place: the cursor goes back to its first line, erases down
 * and draws the new block. Lines printed with `message` go above it. The block must fit the screen.
 */
export interface Region {
  readonly draw: (doc: AnsiDoc.AnsiDoc) => Effect.Effect<void>
  readonly message: (line: string) => Effect.Effect<void>
  /** Replaces the block one last time (or leaves it) and shows the cursor again. */
  readonly close: (doc?: AnsiDoc.AnsiDoc) => Effect.Effect<void>
}

export const region = (): Region => {
  let drawn = 0
  let last: string | undefined
  const erase = () => (drawn === 0 ? "" : render(AnsiDoc.cat(AnsiDoc.cursorPrevLine(drawn), AnsiDoc.eraseDown)))
  const block = (text: string) => {
    drawn = text.split("\n").length
    last = text
    return `${text}\n`
  }
  return {
    draw: (doc) => Effect.suspend(() => write(render(AnsiDoc.cursorHide) + erase() + block(render(doc)))),
    message: (line) =>
      Effect.suspend(() => {
        const before = erase()
        drawn = 0
        return write(before + `${line}\n` + (last === undefined ? "" : block(last)))
      }),
    close: (doc) =>
      Effect.suspend(() => {
        const text = doc === undefined ? "" : erase() + block(render(doc))
        drawn = 0
        last = undefined
        return write(text + render(AnsiDoc.cursorShow))
      })
  }
}
