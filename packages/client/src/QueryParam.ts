import { Schema } from "effect"
import { QueryInt } from "./Wire"

/**
 * An optional integer query parameter within `[min, max]` with a default, reported as FastAPI reports a violation
 * (`greater_than_equal`, `less_than_equal`, `int_parsing`).
 */
export const QueryParam = (
  name: string,
  options: { readonly min: number; readonly max?: number; readonly default: number; readonly description: string }
) => {
  const min = QueryInt(name).pipe(
    Schema.greaterThanOrEqualTo(options.min, {
      message: () => `Input should be greater than or equal to ${options.min}`
    })
  )
  const bounded =
    options.max === undefined
      ? min
      : min.pipe(
          Schema.lessThanOrEqualTo(options.max, {
            message: () => `Input should be less than or equal to ${options.max}`
          })
        )
  return Schema.optionalWith(
    bounded.pipe(
      Schema.annotations({
        description: options.description,
        jsonSchema: {
          type: "integer",
          minimum: options.min,
          ...(options.max === undefined ? {} : { maximum: options.max }),
          default: options.default
        }
      })
    ),
    { default: () => options.default }
  )
}
