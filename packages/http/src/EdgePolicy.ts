import { Config, ConfigError, Context, Effect, Either, Layer, Option } from "effect"

/**
 * A route that takes an upload: its own media types, with their own size limit. When it also takes JSON
 * (`acceptsJson`), a JSON body there is held to the JSON rules and limit of every other route.
 */
export interface UploadRoute {
  readonly method: "POST" | "PUT" | "PATCH"
  /** The route's path exactly as the contract declares it, parameters included (`/api/profile/:id/resume`). */
  readonly path: string
  readonly mediaTypes: ReadonlyArray<string>
  readonly maxBodyBytes: number
  readonly acceptsJson: boolean
}

/** What the HTTP edge accepts before any handler runs, and which browser origins may call the API. */
export interface Options {
  /** Largest request body; a larger one is refused with 413 while it streams in. */
  readonly maxBodyBytes: number
  /** Deepest JSON nesting a body may have; a deeper one is refused with 422 before it is validated. */
  readonly maxJsonDepth: number
  /**
   * Most values (object members and array elements) a JSON body may have; a larger one is refused with 422 before it
   * is validated. A full batch (100 items) has about 300.
   */
  readonly maxJsonValues: number
  /** Exact origins (`https://app.example.com`) whose pages may call the API; none → no CORS headers at all. */
  readonly corsOrigins: ReadonlyArray<string>
  /** Routes that take multipart uploads; every other route with a body takes `application/json` only. */
  readonly uploads: ReadonlyArray<UploadRoute>
}

/**
 * Upload routes, each with its own limit. `POST /api/templates/` takes a résumé by URL (JSON) or uploaded (multipart,
 * a PDF of at most 10 MB): the upload limit is well above the PDF's, so that an oversized PDF is answered with the
 * template route's own sentence ("the PDF is larger than 10 MB") rather than a bare 413.
 */
export const uploadRoutes: ReadonlyArray<UploadRoute> = [
  {
    method: "POST",
    path: "/api/templates",
    mediaTypes: ["multipart/form-data"],
    maxBodyBytes: 32 * 1024 * 1024,
    acceptsJson: true
  }
]

export const defaults: Options = {
  maxBodyBytes: 1024 * 1024,
  maxJsonDepth: 32,
  maxJsonValues: 2_000,
  corsOrigins: [],
  uploads: uploadRoutes
}

/** The edge's policy; the defaults apply unless a layer provides another. */
export class EdgePolicy extends Context.Reference<EdgePolicy>()("@scribe/http/EdgePolicy", {
  defaultValue: (): Options => defaults
}) {}

export const layer = (options: Partial<Options> = {}): Layer.Layer<never> =>
  Layer.succeed(EdgePolicy, { ...defaults, ...options })

const invalid = (name: string, message: string) => ConfigError.InvalidData([name], message)

/** An exact origin as browsers send it: scheme, host and port, nothing else. */
export const parseOrigins = (value: string): Either.Either<ReadonlyArray<string>, ConfigError.ConfigError> => {
  const origins: Array<string> = []
  for (const entry of value.split(",").map((s) => s.trim())) {
    if (entry === "") continue
    if (entry === "*") {
      return Either.left(
        invalid("SCRIBE_CORS_ORIGINS", 'SCRIBE_CORS_ORIGINS lists exact origins; "*" is not accepted, name each origin')
      )
    }
    const origin = URL.canParse(entry) ? new URL(entry).origin : "null"
    if (origin === "null" || origin !== entry) {
      return Either.left(
        invalid(
          "SCRIBE_CORS_ORIGINS",
          `SCRIBE_CORS_ORIGINS: ${JSON.stringify(entry.slice(0, 100))} is not an origin; write scheme://host[:port] ` +
            "with no path or trailing slash, e.g. https://app.example.com"
        )
      )
    }
    origins.push(origin)
  }
  return Either.right(origins)
}

/** Reads `SCRIBE_MAX_BODY_BYTES` (default 1 MiB) and `SCRIBE_CORS_ORIGINS` (comma-separated; unset → no CORS). */
export const layerConfig: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const maxBodyBytes = yield* Config.integer("SCRIBE_MAX_BODY_BYTES").pipe(Config.withDefault(defaults.maxBodyBytes))
    if (maxBodyBytes < 1) {
      return yield* Effect.fail(
        invalid("SCRIBE_MAX_BODY_BYTES", "SCRIBE_MAX_BODY_BYTES must be a positive number of bytes, e.g. 1048576")
      )
    }
    const origins = yield* Config.option(Config.string("SCRIBE_CORS_ORIGINS"))
    const corsOrigins = Option.isSome(origins) ? yield* parseOrigins(origins.value) : []
    return layer({ maxBodyBytes, corsOrigins })
  })
)
