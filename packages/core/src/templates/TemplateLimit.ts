import { Config, Context, Effect, Layer } from "effect"

/** How many résumé templates one user may keep. */
export class TemplateLimit extends Context.Tag("@scribe/core/TemplateLimit")<
  TemplateLimit,
  { readonly maxPerUser: number }
>() {}

export const defaultMaxPerUser = 5

export const layer = (maxPerUser: number): Layer.Layer<TemplateLimit> => Layer.succeed(TemplateLimit, { maxPerUser })

/** Reads `SCRIBE_TEMPLATE_LIMIT` (a positive integer, default 5). */
export const layerConfig = Layer.unwrapEffect(
  Effect.map(
    Config.integer("SCRIBE_TEMPLATE_LIMIT").pipe(
      Config.validate({ message: "Expected a positive integer", validation: (n) => n >= 1 }),
      Config.withDefault(defaultMaxPerUser)
    ),
    layer
  )
)
