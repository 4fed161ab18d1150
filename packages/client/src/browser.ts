/**
 * The public entry of `@scribe/client` for apps (browsers and Node): the Promise client, the Effect client and its
 * polling helpers, the contract, and every error the client can raise.
 */

export type { PipelineStep } from "@scribe/core/pipeline/PipelineStep"
export { FieldError, InternalServerError, ValidationError } from "./ApiErrors"
export * as Polling from "./Polling"
export { type BatchSnapshot, TaskFailed } from "./Polling"
export {
  type CallOptions,
  type CreateScribeClientOptions,
  createScribeClient,
  isScribeError,
  type PollCallOptions,
  ScribeAborted,
  type ScribeError,
  type ScribePromiseClient,
  type WaitCallOptions
} from "./PromiseClient"
export { ScribeApi } from "./ScribeApi"
export type {
  AccessToken,
  BatchResult,
  BatchSubmission,
  CancelResult,
  Email,
  EmailUpdate,
  GenerateRequest,
  GenerateResult,
  Health,
  ListEmailsOptions,
  QueueItem,
  SubmitOptions,
  TaskStatus,
  TokenProvider
} from "./ScribeClient"
export * as ScribeClient from "./ScribeClient"
export { ScribeTransportError } from "./ScribeClient"
export {
  BatchEmpty,
  BatchTooLarge,
  CannotCancel,
  EmailNotFound,
  IdempotencyKeyReused,
  InvalidEmailId,
  InvalidQueueItemId,
  QueueItemNotFound,
  SubmissionRateLimited,
  TaskNotFound,
  TooManyActiveJobs,
  Unauthenticated
} from "./ServiceErrors"
