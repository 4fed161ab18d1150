import { createServer } from "node:http"
import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { openApiOptions, ScribeApi } from "@scribe/client/ScribeApi"
import { Layer } from "effect"
import { AuthenticationLive } from "./AuthenticationLive"
import { EmailHttpLive } from "./EmailHttp"
import { HealthHttpLive } from "./HealthHttp"
import { QueueHttpLive } from "./QueueHttp"
import { RequestErrorsLive } from "./RequestErrors"

/** The contract implemented: needs `Repo`, `TokenVerifier` and `HealthProbe`. */
export const ApiLive = HttpApiBuilder.api(ScribeApi).pipe(
  Layer.provide([HealthHttpLive, EmailHttpLive, QueueHttpLive]),
  Layer.provide(AuthenticationLive)
)

/** Routes, OpenAPI at `/openapi.json`, docs UI at `/docs`, served by whatever `HttpServer` is provided. */
export const HttpAppLive = HttpApiBuilder.serve().pipe(
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json", ...openApiOptions })),
  Layer.provide(RequestErrorsLive),
  Layer.provide(ApiLive)
)

/** The API on a Node HTTP server. */
export const layerNode = (options: { readonly port: number; readonly host: string }) =>
  HttpAppLive.pipe(HttpServer.withLogAddress, Layer.provide(NodeHttpServer.layer(createServer, options)))
