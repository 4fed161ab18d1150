import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  BatchEmptyError,
  BatchTooLargeError,
  CannotCancelError,
  IdempotencyKeyReusedError,
  InternalServerErrorBody,
  InvalidQueueItemIdError,
  QueueItemNotFoundError,
  SubmissionRateLimitedError,
  TooManyActiveJobsError,
  ValidationErrorBody
} from "./ApiErrors"
import { Authentication } from "./Authentication"
import { BatchRequest, BatchResponse, IdempotencyHeaders, MessageResponse, QueueItem } from "./Wire"

/** The batch queue: 1–100 recipients per submission, per-item status and queue position. */
export class QueueApi extends HttpApiGroup.make("queue")
  .add(
    HttpApiEndpoint.post("batch", "/batch")
      .setPayload(BatchRequest)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(BatchResponse, { status: 201 })
      .addError(IdempotencyKeyReusedError)
      .addError(TooManyActiveJobsError)
      .addError(SubmissionRateLimitedError)
      .addError(BatchTooLargeError)
      .addError(BatchEmptyError)
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "Queue one email per item, all or none, in request order")
  )
  .add(
    HttpApiEndpoint.get("list", "/")
      .addSuccess(Schema.Array(QueueItem))
      .annotate(OpenApi.Summary, "The caller's jobs of the last 24 hours, oldest first, with queue positions")
  )
  .add(
    HttpApiEndpoint.del("cancel", "/:queue_item_id")
      .setPath(Schema.Struct({ queue_item_id: Schema.String }))
      .addSuccess(MessageResponse)
      .addError(InvalidQueueItemIdError)
      .addError(CannotCancelError)
      .addError(QueueItemNotFoundError)
      .annotate(OpenApi.Summary, "Cancel a pending item")
  )
  .addError(InternalServerErrorBody)
  .middleware(Authentication)
  .prefix("/api/queue") {}
