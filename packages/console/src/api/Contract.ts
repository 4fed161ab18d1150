import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { ScribeApi } from "@scribe/client/ScribeApi"
import type { AccessToken } from "@scribe/client/ScribeClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

/**
 * The contract's routes that the Promise client has no method for (usage today; profile, résumé templates and the
 * operators' API as the contract gains them), called through a client derived from the same contract.
 */

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE"

const trim = (path: string) => path.replace(/\/+$/, "") || "/"

interface Located {
  readonly group: string
  readonly endpoint: string
  readonly topLevel: boolean
}

/** Where `method path` is in the contract, if it is (a route the served contract does not have yet is absent). */
export const findRoute = (method: Method, path: string): Located | undefined => {
  for (const [groupName, group] of Object.entries(ScribeApi.groups)) {
    for (const [name, endpoint] of Object.entries(group.endpoints)) {
      if (endpoint.method === method && trim(endpoint.path) === trim(path)) {
        return { group: groupName, endpoint: name, topLevel: group.topLevel }
      }
    }
  }
  return undefined
}

/** True when this console was built against a contract that has the route. */
export const hasRoute = (method: Method, path: string): boolean => findRoute(method, path) !== undefined

/** What a derived endpoint takes. */
export interface EndpointRequest {
  readonly path?: Record<string, string>
  readonly urlParams?: Record<string, unknown>
  readonly payload?: unknown
}

type Endpoint = (request: EndpointRequest) => Effect.Effect<unknown, unknown>

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** A failure of a contract call, keeping the contract's typed error (its `_tag`) as the Promise client does. */
const thrown = (cause: Cause.Cause<unknown>): unknown => {
  const failure = Cause.failureOption(cause)
  return Option.isSome(failure) ? failure.value : Cause.squash(cause)
}

export interface ContractClient {
  /** Calls the contract's `method path`; rejects with the contract's error (`_tag`) or a transport error. */
  readonly call: <A>(method: Method, path: string, request?: EndpointRequest) => Promise<A>
}

export const makeContractClient = (getToken: () => Promise<AccessToken>): ContractClient => {
  const client = HttpApiClient.make(ScribeApi, {
    baseUrl: window.location.origin,
    transformClient: HttpClient.mapRequestEffect((request) =>
      Effect.map(
        Effect.promise(() => getToken()),
        (token) => (token ? HttpClientRequest.bearerToken(request, token) : request)
      )
    )
  }).pipe(Effect.provide(FetchHttpClient.layer))
  const cached = Effect.runSync(Effect.cached(client))
  return {
    call: async <A>(method: Method, path: string, request: EndpointRequest = {}) => {
      const route = findRoute(method, path)
      if (route === undefined) throw new Error(`${method} ${path} is not in this console's contract`)
      const exit = await Effect.runPromiseExit(
        Effect.flatMap(cached, (api): Effect.Effect<unknown, unknown> => {
          const root: unknown = api
          const scope: unknown = route.topLevel ? root : isRecord(root) ? root[route.group] : undefined
          const endpoint = isRecord(scope) ? scope[route.endpoint] : undefined
          if (typeof endpoint !== "function") return Effect.die(new Error(`${method} ${path}: no such client method`))
          return (endpoint as Endpoint)(request)
        })
      )
      if (Exit.isSuccess(exit)) return exit.value as A
      throw thrown(exit.cause)
    }
  }
}
