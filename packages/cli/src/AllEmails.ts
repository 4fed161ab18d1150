import { type Email, ScribeClient } from "@scribe/client/ScribeClient"
import * as Effect from "effect/Effect"

const page = 100

/** Every email of the caller, newest first, read 100 at a time. */
export const allEmails = (options: { readonly includeDiscarded: boolean }) =>
  Effect.gen(function* () {
    const client = yield* ScribeClient
    const emails: Array<Email> = []
    while (true) {
      const batch = yield* client.listEmails({
        limit: page,
        offset: emails.length,
        include_discarded: options.includeDiscarded
      })
      emails.push(...batch)
      if (batch.length < page) return emails
    }
  })
