import { FileSystem } from "@effect/platform"
import { BatchRequest } from "@scribe/client/Wire"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { BadInput } from "./CliError"
import { plural } from "./Words"

/** The contract's template limits, in characters (code points). */
export const templateLimits = { min: 10, max: 5000 } as const

const placeholder = /\{\{\s*[^{}]+?\s*\}\}/

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decodeTemplate = Schema.decodeUnknownEither(BatchRequest.fields.email_template, { errors: "all" })

/** Checks a template as the contract does: 10–5000 characters with at least one `{{placeholder}}`. */
export const validate = (source: string, text: string): Either.Either<string, BadInput> => {
  const length = [...text].length
  const problem =
    text.trim() === ""
      ? "is empty"
      : length < templateLimits.min
        ? `is too short (${plural(length, "character")}; at least ${templateLimits.min})`
        : length > templateLimits.max
          ? `is too long (${plural(length, "character")}; at most ${templateLimits.max})`
          : !placeholder.test(text)
            ? "has no placeholder: put at least one {{placeholder}} in it, e.g. {{name}} or {{research}}"
            : undefined
  if (problem !== undefined) return Either.left(new BadInput({ message: `The template ${source} ${problem}.` }))
  return Either.mapBoth(decodeTemplate(text), {
    onLeft: (error) =>
      new BadInput({
        message: `The template ${source}: ${ParseResult.ArrayFormatter.formatErrorSync(error)
          .map((issue) => issue.message)
          .join("; ")}`
      }),
    onRight: () => text
  })
}

/** Reads a UTF-8 template file (a leading byte-order mark is dropped) and validates it. */
export const read = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs
      .readFile(file)
      .pipe(Effect.mapError((error) => new BadInput({ message: `Cannot read the template ${file}: ${error.message}` })))
    const text = yield* Effect.try({
      try: () => utf8.decode(bytes).replace(/^\uFEFF/, ""),
      catch: () => new BadInput({ message: `The template ${file} is not valid UTF-8 text; save it as UTF-8.` })
    })
    return yield* validate(file, text)
  })
