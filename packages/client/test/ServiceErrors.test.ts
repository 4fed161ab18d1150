import { HttpApiSchema } from "@effect/platform"
import * as TokenVerifier from "@scribe/core/auth/TokenVerifier"
import * as Email from "@scribe/core/emails/Email"
import * as Job from "@scribe/core/jobs/Job"
import * as Guardrails from "@scribe/core/usage/Guardrails"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as ApiErrors from "../src/ApiErrors"
import { createScribeClient, isScribeError } from "../src/PromiseClient"

interface Case {
  readonly name: string
  readonly serverError: { readonly _tag: string }
  readonly sentence: string
  readonly status: number
  readonly encode: () => unknown
  readonly decode: (body: unknown) => unknown
}

const row = <A extends { readonly _tag: string }>(
  name: string,
  schema: Schema.Schema<A, { readonly detail: string }>,
  serverError: A,
  sentence: string
): Case => ({
  name,
  serverError,
  sentence,
  status: HttpApiSchema.getStatusError(schema),
  encode: () => Schema.encodeSync(schema)(serverError),
  decode: (body) => Schema.decodeUnknownSync(schema)(body)
})

/** Every `{"detail": "<sentence>"}` error of the contract, with an error the server fails with and its sentence. */
const cases: ReadonlyArray<Case> = [
  row(
    "UnauthorizedError",
    ApiErrors.UnauthorizedError,
    new TokenVerifier.Unauthenticated({ reason: "Not authenticated" }),
    "Not authenticated"
  ),
  row(
    "EmailNotFoundError",
    ApiErrors.EmailNotFoundError,
    new Email.EmailNotFound({ id: "e" }),
    "Email not found or you don't have permission to access it"
  ),
  row(
    "InvalidEmailIdError",
    ApiErrors.InvalidEmailIdError,
    new Email.InvalidEmailId({ input: "x", reason: "badly formed hexadecimal UUID string" }),
    "Invalid email ID format: badly formed hexadecimal UUID string"
  ),
  row("TaskNotFoundError", ApiErrors.TaskNotFoundError, new Job.TaskNotFound({ id: "t" }), "Task not found"),
  row(
    "QueueItemNotFoundError",
    ApiErrors.QueueItemNotFoundError,
    new Job.QueueItemNotFound({ id: "q" }),
    "Queue item not found"
  ),
  row(
    "InvalidQueueItemIdError",
    ApiErrors.InvalidQueueItemIdError,
    new Job.InvalidQueueItemId({ input: "1", reason: "badly formed hexadecimal UUID string" }),
    "Invalid queue item ID format: badly formed hexadecimal UUID string"
  ),
  row(
    "CannotCancelError",
    ApiErrors.CannotCancelError,
    new Job.CannotCancel({ status: "processing" }),
    "Cannot cancel item with status 'processing'"
  ),
  row(
    "BatchTooLargeError",
    ApiErrors.BatchTooLargeError,
    new Job.BatchTooLarge({ max: 100 }),
    "Maximum 100 items per batch"
  ),
  row("BatchEmptyError", ApiErrors.BatchEmptyError, new Job.BatchEmpty(), "At least 1 item is required per batch"),
  row(
    "IdempotencyKeyReusedError",
    ApiErrors.IdempotencyKeyReusedError,
    new Job.IdempotencyKeyReused(),
    "Idempotency-Key was already used for a different request; use a new key for a new submission"
  ),
  row(
    "TooManyActiveJobsError",
    ApiErrors.TooManyActiveJobsError,
    new Guardrails.TooManyActiveJobs({ active: 200, requested: 5, max: 200, retryAfterSeconds: 30 }),
    "Too many active jobs: you have 200 pending or processing and asked for 5 more; the limit is 200 per user. Retry after 30 seconds."
  ),
  row(
    "SubmissionRateLimitedError",
    ApiErrors.SubmissionRateLimitedError,
    new Guardrails.SubmissionRateLimited({ limit: 30, retryAfterSeconds: 12 }),
    "Too many submissions: the limit is 30 per minute per user. Retry after 12 seconds."
  ),
  row(
    "InternalServerErrorBody",
    ApiErrors.InternalServerErrorBody,
    new ApiErrors.InternalServerError(),
    "Internal Server Error"
  )
]

describe("the errors the service answers, as the SDK raises them", () => {
  for (const { name, serverError, sentence, status, encode, decode } of cases) {
    it(`${name}: the server's sentence is the decoded error's message; the status is the contract's`, () => {
      const body = encode()
      expect(body).toEqual({ detail: sentence })
      const decoded = decode(body)
      expect(decoded).toBeInstanceOf(Error)
      expect(decoded).toBeInstanceOf(serverError.constructor)
      expect(decoded).toMatchObject({ _tag: serverError._tag, message: sentence, httpStatus: status })
      expect(status).not.toBe(200)
    })
  }

  it("every detail error the contract exports is covered above", () => {
    const exported = Object.entries(ApiErrors)
      .filter(([name, value]) => /Error(Body)?$/.test(name) && Schema.isSchema(value) && name !== "ValidationErrorBody")
      .map(([name]) => name)
      .filter((name) => !["FieldError", "ValidationError", "InternalServerError"].includes(name))
    expect(exported.sort()).toEqual(cases.map(({ name }) => name).sort())
  })

  it("a 422 names each violated field by its path in the request, and joins them as the message", () => {
    const error = Schema.decodeUnknownSync(ApiErrors.ValidationErrorBody)({
      detail: [
        { loc: ["body", "items", 0, "recipient_name"], msg: "String should have at least 2 characters", type: "t" },
        { loc: ["body", "items", 0, "recipient_name"], msg: "a second issue of the same field", type: "t" },
        { loc: ["body", "email_template"], msg: "Field required", type: "missing" },
        { loc: ["body"], msg: "JSON decode error", type: "json_invalid" }
      ]
    })
    expect(error).toBeInstanceOf(ApiErrors.ValidationError)
    expect(error.httpStatus).toBe(422)
    expect(error.fields).toEqual({
      "items.0.recipient_name": "String should have at least 2 characters",
      email_template: "Field required",
      body: "JSON decode error"
    })
    expect(error.message).toBe(
      "items.0.recipient_name: String should have at least 2 characters; email_template: Field required; " +
        "body: JSON decode error"
    )
    expect(new ApiErrors.ValidationError({ detail: [] }).message).toBe("Invalid request")
  })
})

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

describe("the Promise client's errors", () => {
  const rejection = async (reply: Response, call: (c: ReturnType<typeof createScribeClient>) => Promise<unknown>) => {
    const scribe = createScribeClient({
      baseUrl: "https://scribe.test",
      getToken: () => "t",
      fetch: () => Promise.resolve(reply.clone()),
      retry: false
    })
    const error = await call(scribe).then(
      () => expect.unreachable("the call should fail"),
      (e: unknown) => e
    )
    await scribe.dispose()
    if (!isScribeError(error)) throw new Error(`not a ScribeError: ${String(error)}`)
    return error
  }

  it("a 401 has the server's sentence as message, not its fields", async () => {
    const error = await rejection(json(401, { detail: "Not authenticated" }), (c) => c.listQueue())
    expect(error).toMatchObject({ _tag: "Unauthenticated", message: "Not authenticated", httpStatus: 401 })
    expect(String(error)).toBe("Unauthenticated: Not authenticated")
  })

  it("a server 422 maps back to the request's fields", async () => {
    const body = {
      detail: [
        { loc: ["body", "items", 1, "recipient_interest"], msg: "Field required", type: "missing" },
        { loc: ["header", "idempotency-key"], msg: "String should have at most 255 characters", type: "t" }
      ]
    }
    const error = await rejection(json(422, body), (c) =>
      c.submitBatch({
        email_template: "Dear {{name}}, hello there",
        items: [
          { recipient_name: "Ada L", recipient_interest: "engines" },
          { recipient_name: "Alan T", recipient_interest: "machines" }
        ]
      })
    )
    expect(error._tag).toBe("ValidationError")
    expect(error.httpStatus).toBe(422)
    expect(error._tag === "ValidationError" && error.fields).toEqual({
      "items.1.recipient_interest": "Field required",
      "idempotency-key": "String should have at most 255 characters"
    })
    expect(error.message).toBe(
      "items.1.recipient_interest: Field required; idempotency-key: String should have at most 255 characters"
    )
  })

  it("a request refused before sending reads the same way", async () => {
    const error = await rejection(json(500, {}), (c) =>
      c.generate({ email_template: "Dear {{name}}, hello", recipient_name: "A", recipient_interest: "engines" })
    )
    expect(error).toMatchObject({
      _tag: "ValidationError",
      httpStatus: 422,
      message: "recipient_name: String should have at least 2 characters"
    })
  })

  it("404, 400 and 500 carry their sentence and status; a gateway's 502 its status", async () => {
    expect(await rejection(json(404, { detail: "Task not found" }), (c) => c.status("t-1"))).toMatchObject({
      _tag: "TaskNotFound",
      id: "t-1",
      message: "Task not found",
      httpStatus: 404
    })
    expect(
      await rejection(json(400, { detail: "Cannot cancel item with status 'completed'" }), (c) => c.cancel("q"))
    ).toMatchObject({
      _tag: "CannotCancel",
      status: "completed",
      message: "Cannot cancel item with status 'completed'",
      httpStatus: 400
    })
    expect(await rejection(json(500, { detail: "Internal Server Error" }), (c) => c.listQueue())).toMatchObject({
      _tag: "InternalServerError",
      message: "Internal Server Error",
      httpStatus: 500
    })
    expect(await rejection(new Response("Bad Gateway", { status: 502 }), (c) => c.listQueue())).toMatchObject({
      _tag: "ScribeTransportError",
      httpStatus: 502,
      message: "GET https://scribe.test/api/queue: unexpected status 502"
    })
  })
})
