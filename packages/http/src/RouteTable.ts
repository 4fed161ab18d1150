import { HttpApiBuilder, type HttpRouter } from "@effect/platform"
import { Effect } from "effect"
import * as FindMyWay from "find-my-way-ts"

type AnyRoute = HttpRouter.Route<unknown, unknown>

/** The served routes, matched exactly as the router matches them (same matcher, same defaults). */
export interface RouteTable {
  /** The route that will answer `method url`, if any. */
  readonly find: (method: string, url: string) => AnyRoute | undefined
  /** The methods some route other than a catch-all answers at `url` (HEAD wherever GET is): the `Allow` of a 405. */
  readonly allowed: (url: string) => ReadonlyArray<string>
}

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const

const matcherOf = (routes: Iterable<AnyRoute>) => {
  const matcher = FindMyWay.make<AnyRoute>()
  for (const route of routes) {
    if (route.method === "*") matcher.all(route.path, route)
    else matcher.on(route.method, route.path, route)
  }
  return (method: string, url: string) =>
    matcher.find(method, url)?.handler ?? (method === "HEAD" ? matcher.find("GET", url)?.handler : undefined)
}

/** A catch-all (the console's `GET /*`) answers any page path: it makes no path a known one for a 405. */
const isCatchAll = (route: AnyRoute) => route.path.endsWith("*")

const compile = (router: HttpRouter.HttpRouter<unknown, unknown>): RouteTable => {
  const find = matcherOf(router.routes)
  const findExact = matcherOf(Array.from(router.routes).filter((route) => !isCatchAll(route)))
  return {
    find,
    allowed: (url) => methods.filter((method) => findExact(method, url) !== undefined)
  }
}

// The router is an immutable value, replaced whenever a route is added: compiled once per value.
const compiled = new WeakMap<object, RouteTable>()

/** The table of the routes the API serves, read when first needed (every route is registered by then). */
export const currentRouteTable: Effect.Effect<RouteTable, never, HttpApiBuilder.Router> = Effect.map(
  HttpApiBuilder.Router.router,
  (router) => {
    const known = compiled.get(router)
    if (known !== undefined) return known
    const table = compile(router as HttpRouter.HttpRouter<unknown, unknown>)
    compiled.set(router, table)
    return table
  }
)
