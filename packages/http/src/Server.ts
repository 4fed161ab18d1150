import { createServer } from "node:http"
import { HttpApiBuilder, HttpApiSwagger, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import * as SubmissionLimits from "@scribe/adapters/usage/SubmissionLimits"
import { openApiOptions, ScribeApi } from "@scribe/client/ScribeApi"
import * as AccountsLive from "@scribe/wiring/AccountsLive"
import { Effect, Layer } from "effect"
import { AdminAuthenticationLive, AdminHttpLive } from "./AdminHttp"
import { AuthenticationLive } from "./AuthenticationLive"
import { ConsoleHttpLive } from "./ConsoleHttp"
import { edge } from "./Edge"
import * as EdgePolicy from "./EdgePolicy"
import { EmailHttpLive } from "./EmailHttp"
import { HealthHttpLive } from "./HealthHttp"
import { MetricsHttpLive, untraced } from "./MetricsHttp"
import { QueueHttpLive } from "./QueueHttp"
import { RequestErrorsLive } from "./RequestErrors"
import { TemplatesHttpLive } from "./TemplatesHttp"
import { UsageHttpLive } from "./UsageHttp"
import { UserHttpLive } from "./UserHttp"

/**
 * The contract implemented: needs `Repo`, `TokenVerifier`, `HealthProbe` and `SubmissionLimits`, and for the profile,
 * template and admin routes their stores and `AccountsLive`'s services.
 */
export const ApiLive = HttpApiBuilder.api(ScribeApi).pipe(
  Layer.provide([HealthHttpLive, EmailHttpLive, QueueHttpLive, UsageHttpLive]),
  Layer.provide([UserHttpLive, TemplatesHttpLive, AdminHttpLive]),
  Layer.provide(AdminAuthenticationLive),
  Layer.provide(AuthenticationLive)
)

/**
 * Routes, OpenAPI at `/openapi.json`, docs UI at `/docs`, Prometheus metrics at `/metrics`, served by whatever
 * `HttpServer` is provided, behind the edge (request id, CORS, body limits) of the `EdgePolicy` in context (the
 * defaults unless provided). Every request but `/metrics` and `/health` gets a span.
 */
export const HttpAppLive = Layer.unwrapEffect(
  Effect.map(EdgePolicy.EdgePolicy, (policy) => HttpApiBuilder.serve(edge(policy)))
).pipe(
  HttpMiddleware.withTracerDisabledWhen(untraced),
  Layer.provide(MetricsHttpLive),
  Layer.provide(ConsoleHttpLive),
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json", ...openApiOptions })),
  Layer.provide(RequestErrorsLive),
  Layer.provide(ApiLive),
  // The edge reads the routes from the very router the API serves (layers are shared: one router per build).
  Layer.provide(HttpApiBuilder.Router.Live)
)

/** The API on a Node HTTP server, with the submission limits, the accounts' services and the edge policy from the environment. */
export const layerNode = (options: { readonly port: number; readonly host: string }) =>
  HttpAppLive.pipe(
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(createServer, options)),
    Layer.provide(SubmissionLimits.layerConfig),
    Layer.provide(AccountsLive.layerConfig),
    Layer.provide(EdgePolicy.layerConfig)
  )
