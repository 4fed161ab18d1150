/**
 * Traces and logs. Traces go to an OpenTelemetry collector over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, through the Effect OpenTelemetry integration: every `Effect.fn` /
 * `withSpan` and the HTTP server's request spans become OTel spans. Unset (or `OTEL_SDK_DISABLED=true`): no SDK, no
 * exporter: the OpenTelemetry modules are imported only when tracing is on. Logs are JSON lines in production
 * (`NODE_ENV=production` or `SCRIBE_LOG_FORMAT=json`), pretty otherwise, and carry `trace_id` / `span_id` when
 * written inside a span.
 */
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base"
import {
  Config,
  type ConfigError,
  Context,
  Effect,
  Either,
  FiberRef,
  FiberRefs,
  HashMap,
  Layer,
  Logger,
  Option,
  Tracer
} from "effect"
import { httpUrl, optionalString } from "./ConfigReaders"

/** Where traces go: the traces endpoint as given, or `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`; `None` when off. */
export const tracesUrl: Config.Config<Option.Option<string>> = Config.all({
  disabled: Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
  traces: optionalString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  base: optionalString("OTEL_EXPORTER_OTLP_ENDPOINT")
}).pipe(
  Config.mapOrFail(({ base, disabled, traces }): Either.Either<Option.Option<string>, ConfigError.ConfigError> => {
    if (disabled) return Either.right(Option.none())
    if (Option.isSome(traces))
      return Either.map(httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")(traces.value), Option.some)
    if (Option.isSome(base)) {
      return Either.map(httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT")(base.value), (url) =>
        Option.some(`${url.replace(/\/+$/, "")}/v1/traces`)
      )
    }
    return Either.right(Option.none())
  })
)

/**
 * The exports of a CommonJS package loaded with `import()`. Node offers them both as named exports and as `default`;
 * an esbuild bundle split into chunks (the deployed worker) offers them only as `default`.
 */
const commonJs = <M extends object>(module: M): M => {
  const exports: unknown = Reflect.get(module, "default")
  return typeof exports === "object" && exports !== null ? (exports as M) : module
}

/** Effect's tracer backed by an OpenTelemetry tracer provider exporting through `processor`. */
export const layerTracing = (options: { readonly serviceName: string; readonly processor: SpanProcessor }) =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("@effect/opentelemetry/NodeSdk")),
      (NodeSdk) =>
        NodeSdk.layer(() => ({ resource: { serviceName: options.serviceName }, spanProcessor: options.processor }))
    )
  )

/**
 * Tracing from the environment: OTLP/HTTP (protobuf-free JSON over HTTP, batched) when an endpoint is set, named
 * `OTEL_SERVICE_NAME` (default `defaultServiceName`); nothing otherwise. Other standard `OTEL_EXPORTER_OTLP_*`
 * variables (headers, timeout) are read by the exporter itself.
 */
export const layerTracingConfig = (defaultServiceName: string): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const url = yield* tracesUrl
      if (Option.isNone(url)) return Layer.empty
      const serviceName = yield* optionalString("OTEL_SERVICE_NAME").pipe(
        Config.map(Option.getOrElse(() => defaultServiceName))
      )
      const [{ OTLPTraceExporter }, { BatchSpanProcessor }] = yield* Effect.promise(() =>
        Promise.all([
          import("@opentelemetry/exporter-trace-otlp-http").then(commonJs),
          import("@opentelemetry/sdk-trace-base").then(commonJs)
        ])
      )
      return Layer.discard(
        layerTracing({ serviceName, processor: new BatchSpanProcessor(new OTLPTraceExporter({ url: url.value })) })
      )
    })
  )

/** Adds the current span's `trace_id` and `span_id` to a log line's annotations. */
export const withTraceIds = <Output>(logger: Logger.Logger<unknown, Output>): Logger.Logger<unknown, Output> =>
  Logger.mapInputOptions(logger, (options) => {
    const span = Context.getOption(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Tracer.ParentSpan)
    if (Option.isNone(span)) return options
    return {
      ...options,
      annotations: HashMap.set(
        HashMap.set(options.annotations, "trace_id", span.value.traceId),
        "span_id",
        span.value.spanId
      )
    }
  })

/** `json` or `pretty`: `SCRIBE_LOG_FORMAT` when set, else `json` when `NODE_ENV=production`. */
export const logFormat: Config.Config<"json" | "pretty"> = Config.all({
  format: Config.option(Config.literal("json", "pretty")("SCRIBE_LOG_FORMAT")),
  env: Config.string("NODE_ENV").pipe(Config.withDefault("development"))
}).pipe(
  Config.map(({ env, format }) =>
    Option.getOrElse(format, () => (env.trim() === "production" ? ("json" as const) : ("pretty" as const)))
  )
)

/** The default logger replaced by the configured format, with trace ids. */
export const layerLoggerConfig: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(logFormat, (format) =>
    Logger.replace(
      Logger.defaultLogger,
      format === "json" ? Logger.withConsoleLog(withTraceIds(Logger.jsonLogger)) : withTraceIds(Logger.prettyLogger())
    )
  )
)

/** Logs and traces as the environment says; provide it to the process's whole layer. */
export const layerConfig = (defaultServiceName: string): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.merge(layerLoggerConfig, layerTracingConfig(defaultServiceName))
