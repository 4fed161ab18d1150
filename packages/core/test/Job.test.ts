import { describe, expect, it } from "@effect/vitest"
import { parseUuid } from "@scribe/core/Ids"
import {
  canCancel,
  currentStepOf,
  isTaskExpired,
  Job,
  maxErrorMessageLength,
  positions,
  queueWindowStart,
  taskStatus,
  truncateErrorMessage
} from "@scribe/core/jobs/Job"
import { pipelineSteps, stepStatus } from "@scribe/core/pipeline/PipelineStep"
import { placeholders } from "@scribe/core/templates/Template"
import { Option } from "effect"

const base = new Date("2026-11-01T12:00:00Z")
let n = 0
const job = (overrides: Partial<ConstructorParameters<typeof Job>[0]> = {}) =>
  new Job({
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}` as Job["id"],
    userId: "user-a" as Job["userId"],
    batchId: null,
    seq: n,
    recipientName: "Dr. Ada Lovelace",
    recipientInterest: "analytical engines",
    emailTemplate: "Dear {{name}}, I loved {{research}}.",
    status: "pending",
    currentStep: null,
    stepStatus: null,
    stepTimings: {},
    attempts: 0,
    errorMessage: null,
    errorType: null,
    failedStep: null,
    emailId: null,
    generationTime: null,
    createdAt: base,
    startedAt: null,
    finishedAt: null,
    ...overrides
  })

describe("task status mapping", () => {
  it("maps each job state to the task status of the contract", () => {
    expect(Option.getOrThrow(taskStatus(job(), base))).toEqual({ status: "PENDING" })
    expect(
      Option.getOrThrow(
        taskStatus(
          job({ status: "processing", currentStep: "web_scraper", stepTimings: { template_parser: 1.2 } }),
          base
        )
      )
    ).toEqual({
      status: "STARTED",
      currentStep: "web_scraper",
      stepStatus: "Searching for professor information…",
      stepTimings: { template_parser: 1.2 }
    })
    const emailId = "10000000-0000-4000-8000-000000000000" as NonNullable<Job["emailId"]>
    expect(
      Option.getOrThrow(taskStatus(job({ status: "completed", emailId, generationTime: 9.5, finishedAt: base }), base))
    ).toMatchObject({ status: "SUCCESS", emailId, generationTime: 9.5 })
    expect(
      Option.getOrThrow(
        taskStatus(
          job({
            status: "failed",
            errorMessage: "boom",
            errorType: "LLMError",
            failedStep: "email_composer",
            finishedAt: base
          }),
          base
        )
      )
    ).toEqual({ status: "FAILURE", message: "boom", type: "LLMError", failedStep: "email_composer" })
  })

  it("a processing job always shows a step and its status words: the first step when none was recorded", () => {
    const started = (overrides: Partial<ConstructorParameters<typeof Job>[0]>) =>
      Option.getOrThrow(taskStatus(job({ status: "processing", attempts: 1, startedAt: base, ...overrides }), base))
    expect(started({})).toEqual({
      status: "STARTED",
      currentStep: "template_parser",
      stepStatus: "Analysing your template…",
      stepTimings: {}
    })
    expect(started({ currentStep: "email_composer", stepStatus: "Writing your email…" })).toMatchObject({
      currentStep: "email_composer",
      stepStatus: "Writing your email…"
    })
    expect(pipelineSteps.map((step) => started({ currentStep: step }))).toEqual(
      pipelineSteps.map((step) => ({
        status: "STARTED",
        currentStep: step,
        stepStatus: stepStatus(step),
        stepTimings: {}
      }))
    )
    expect(new Set(pipelineSteps.map(stepStatus)).size).toBe(pipelineSteps.length)
    expect(currentStepOf(job({ status: "processing" }))).toBe("template_parser")
    expect(currentStepOf(job({ status: "processing", currentStep: "arxiv_helper" }))).toBe("arxiv_helper")
    for (const status of ["pending", "completed", "failed"] as const) expect(currentStepOf(job({ status }))).toBeNull()
  })

  it("hides a task finished more than an hour ago, and only then", () => {
    const done = job({ status: "failed", errorMessage: "x", finishedAt: base })
    const atHour = new Date(base.getTime() + 60 * 60 * 1000)
    expect(isTaskExpired(done, atHour)).toBe(false)
    expect(Option.isSome(taskStatus(done, atHour))).toBe(true)
    expect(Option.isNone(taskStatus(done, new Date(atHour.getTime() + 1)))).toBe(true)
    // an unfinished job never expires, however old
    expect(Option.isSome(taskStatus(job(), new Date(base.getTime() + 10 * 86_400_000)))).toBe(true)
  })
})

describe("queue rules", () => {
  it("ranks only pending jobs, in take order, from 1", () => {
    const a = job({ seq: 5 })
    const b = job({ seq: 2, status: "processing" })
    const c = job({ seq: 9 })
    const d = job({ seq: 1 })
    const ranks = positions([a, b, c, d])
    expect([ranks.get(d.id), ranks.get(a.id), ranks.get(c.id), ranks.get(b.id)]).toEqual([1, 2, 3, undefined])
  })

  it("only pending jobs can be cancelled", () => {
    expect(canCancel(job())).toBe(true)
    for (const status of ["processing", "completed", "failed"] as const) expect(canCancel(job({ status }))).toBe(false)
  })

  it("truncates error messages to 1000 characters", () => {
    expect(truncateErrorMessage("short")).toBe("short")
    const long = truncateErrorMessage("x".repeat(5000))
    expect(long.length).toBe(maxErrorMessageLength)
    expect(long.endsWith("…")).toBe(true)
    expect(truncateErrorMessage("y".repeat(1000))).toBe("y".repeat(1000))
  })

  it("lists the last 24 hours", () => {
    expect(queueWindowStart(base).toISOString()).toBe("2026-10-31T12:00:00.000Z")
  })
})

describe("ids and templates", () => {
  it("parses UUIDs as Python's uuid.UUID does", () => {
    expect(parseUuid("0F8FAD5B-D9CB-469F-A165-70867728950E")).toEqual({
      ok: true,
      value: "0f8fad5b-d9cb-469f-a165-70867728950e"
    })
    expect(parseUuid("0f8fad5bd9cb469fa16570867728950e")).toMatchObject({ ok: true })
    expect(parseUuid("{0f8fad5b-d9cb-469f-a165-70867728950e}")).toMatchObject({ ok: true })
    expect(parseUuid("not-a-uuid")).toEqual({ ok: false, reason: "badly formed hexadecimal UUID string" })
    expect(parseUuid("0f8fad5b-d9cb-469f-a165-70867728950")).toMatchObject({ ok: false })
  })

  it("finds placeholders in order, once each", () => {
    expect(placeholders("Dear {{ name }}, about {{research}} and {{name}}")).toEqual(["name", "research"])
    expect(placeholders("no placeholders { here }")).toEqual([])
  })
})
