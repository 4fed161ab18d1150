import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { UserId } from "../Ids"
import type { RepoError } from "../store/Repo"
import type { TemplateId, TemplatePage, TemplateRecord } from "./TemplateRecord"

export type InsertTemplateOutcome = { readonly _tag: "Inserted" } | { readonly _tag: "LimitReached" }

/** Stored résumé templates. Every method is atomic on its own. */
export class TemplateStore extends Context.Tag("@scribe/core/TemplateStore")<
  TemplateStore,
  {
    /**
     * Stores the template unless its user already has `max` of them, in one transaction serialised per user, so
     * concurrent requests can never take a user past `max`.
     */
    readonly insertWithinLimit: (
      template: TemplateRecord,
      max: number
    ) => Effect.Effect<InsertTemplateOutcome, RepoError>
    readonly count: (userId: UserId) => Effect.Effect<number, RepoError>
    readonly find: (userId: UserId, id: TemplateId) => Effect.Effect<Option.Option<TemplateRecord>, RepoError>
    /** The user's templates, newest first. */
    readonly list: (userId: UserId, page: TemplatePage) => Effect.Effect<ReadonlyArray<TemplateRecord>, RepoError>
  }
>() {}
