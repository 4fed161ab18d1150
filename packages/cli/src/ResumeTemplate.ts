import { basename } from "node:path"
import { FileSystem, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { BadInput, Failed } from "./CliError"
import type { Connection } from "./Connection"

/**
 * A template the server wrote from a résumé (`POST /api/templates/`, multipart field `file`). The contract in
 * packages/client does not type this route yet, so it is requested through @effect/platform's HttpClient, as the SDK
 * does, against this documented shape; switch to the SDK's endpoint once the contract has it.
 */
export const TemplateResponse = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  pdf_url: Schema.NullOr(Schema.String),
  template_text: Schema.String,
  user_instructions: Schema.NullOr(Schema.String),
  created_at: Schema.String
})
export type TemplateResponse = typeof TemplateResponse.Type

const Detail = Schema.Struct({ detail: Schema.Unknown })

const detailText = (body: unknown) => {
  const decoded = Schema.decodeUnknownOption(Detail)(body)
  if (decoded._tag === "None") return undefined
  const detail = decoded.value.detail
  return typeof detail === "string"
    ? detail
    : Array.isArray(detail)
      ? detail
          .map((d: { loc?: ReadonlyArray<unknown>; msg?: string }) => `${(d.loc ?? []).join(".")}: ${d.msg}`)
          .join("; ")
      : JSON.stringify(detail)
}

/** Uploads a PDF résumé and returns the template the server made from it. */
export const fromResume = (connection: Connection, file: string, instructions: string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs
      .readFile(file)
      .pipe(Effect.mapError((error) => new BadInput({ message: `Cannot read ${file}: ${error.message}` })))
    if (new TextDecoder().decode(bytes.subarray(0, 5)) !== "%PDF-") {
      return yield* new BadInput({ message: `${file} is not a PDF file.` })
    }
    const form = new FormData()
    form.append("file", new Blob([bytes], { type: "application/pdf" }), basename(file))
    if (instructions !== undefined) form.append("user_instructions", instructions)
    const client = yield* HttpClient.HttpClient
    const url = `${connection.baseUrl}/api/templates/`
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bearerToken(connection.token),
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyFormData(form)
    )
    const response = yield* client.execute(request).pipe(
      Effect.timeout(Duration.minutes(3)),
      Effect.mapError((error) => new Failed({ message: `POST ${url}: no answer (${error.message})` }))
    )
    if (response.status === 200 || response.status === 201) {
      return yield* HttpClientResponse.schemaBodyJson(TemplateResponse)(response).pipe(
        Effect.mapError(() => new Failed({ message: `POST ${url}: the answer is not a template` }))
      )
    }
    const body = yield* response.json.pipe(Effect.orElseSucceed(() => null))
    const detail = detailText(body) ?? `status ${response.status}`
    if (response.status === 401) {
      return yield* new Failed({ message: `The server refused the token (401): ${detail}` })
    }
    if (response.status === 404 || response.status === 405) {
      return yield* new Failed({
        message: `${connection.baseUrl} has no POST /api/templates/ route (${response.status}): the server is older than this CLI.`
      })
    }
    if (response.status >= 400 && response.status < 500) {
      return yield* new BadInput({ message: `The server refused ${file} (${response.status}): ${detail}` })
    }
    return yield* new Failed({ message: `POST ${url} failed (${response.status}): ${detail}` })
  }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))
