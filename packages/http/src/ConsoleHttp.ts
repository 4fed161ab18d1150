import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { extname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { HttpApiBuilder, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import { Config, Effect, Layer, Option } from "effect"
import { DevSessionLive, isLocalRequest } from "./DevSession"

/** One file of the built console, held in memory (the whole console is a few hundred kilobytes). */
interface Asset {
  readonly body: Uint8Array
  readonly gzip: Uint8Array | undefined
  readonly contentType: string
  readonly cacheControl: string
  readonly etag: string
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json"
}
const compressible = new Set([".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".webmanifest"])

/** Vite names what it builds under `assets/` after the content's hash: such a URL never changes meaning. */
const immutable = "public, max-age=31536000, immutable"
/** Everything else (index.html above all) is revalidated on every load, so a new build is seen at once. */
const revalidate = "no-cache"

const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : []
  })

/** The built console in `dir`, by URL path (`/index.html`, `/assets/index-3f2a.js`); empty when it is not built. */
export const loadConsole = (dir: string): ReadonlyMap<string, Asset> => {
  if (!existsSync(join(dir, "index.html"))) return new Map()
  return new Map(
    filesUnder(dir)
      .filter(
        (file) =>
          !relative(dir, file)
            .split(sep)
            .some((part) => part.startsWith("."))
      )
      .map((file) => {
        const urlPath = `/${relative(dir, file).split(sep).join("/")}`
        const body = new Uint8Array(readFileSync(file))
        const ext = extname(file).toLowerCase()
        const gzip = compressible.has(ext) && body.byteLength > 1024 ? new Uint8Array(gzipSync(body)) : undefined
        const asset: Asset = {
          body,
          gzip: gzip !== undefined && gzip.byteLength < body.byteLength ? gzip : undefined,
          contentType: contentTypes[ext] ?? "application/octet-stream",
          cacheControl: urlPath.startsWith("/assets/") ? immutable : revalidate,
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`
        }
        return [urlPath, asset] as const
      })
  )
}

/**
 * Where the built console is: `SCRIBE_CONSOLE_DIR`, else `console/` beside the API's bundle (`pnpm build:api` copies
 * it there), else the workspace's `packages/console/dist` (`pnpm start` under tsx, and a bundle built in place).
 */
const consoleDir = (configured: Option.Option<string>): string => {
  if (Option.isSome(configured)) return configured.value
  const candidates = [new URL("./console/", import.meta.url), new URL("../../console/dist/", import.meta.url)]
  const found = candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(join(dir, "index.html")))
  return found ?? fileURLToPath(candidates[1]!)
}

/** Paths the console never answers for: the API, its documents and the operators' endpoints keep their own 404s. */
const reserved = /^\/(api|docs|openapi\.json|health|metrics)(\/|$)/

const notBuilt = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Scribe</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>Scribe</h1><p>The web console is not built. Run <code>pnpm build:console</code> (or <code>pnpm start</code>,
which builds it when needed) and reload. The API is up: see <a href="/docs">/docs</a>.</p></body></html>`

const securityHeaders = (connectOrigins: ReadonlyArray<string>) => ({
  "content-security-policy": [
    "default-src 'self'",
    `connect-src 'self' ${connectOrigins.join(" ")}`.trim(),
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
})

/** The request's decoded path; `undefined` when it is not valid percent-encoding. */
const pathOf = (url: string): string | undefined => {
  try {
    return decodeURIComponent(new URL(url, "http://console").pathname)
  } catch {
    return undefined
  }
}

const serve = (asset: Asset, request: HttpServerRequest.HttpServerRequest, extra: Record<string, string>) => {
  const headers = { "cache-control": asset.cacheControl, etag: asset.etag, vary: "Accept-Encoding", ...extra }
  if (request.headers["if-none-match"] === asset.etag) return HttpServerResponse.empty({ status: 304, headers })
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")
  return HttpServerResponse.uint8Array(gzip && asset.gzip !== undefined ? asset.gzip : asset.body, {
    contentType: asset.contentType,
    headers: gzip ? { ...headers, "content-encoding": "gzip" } : headers
  })
}

/**
 * The web console at `/`: its built files with cache headers (hashed assets immutable, the rest revalidated), and
 * `index.html` for any other page path so the console's own routes survive a reload. API paths are never shadowed;
 * a missing file (a path with an extension, or under `/assets/`) is a 404, not the page. Also
 * `GET /api/console/config`, the public settings the console starts from (outside the JSON contract, like
 * `/metrics`), and `POST /api/dev/session` (see `DevSession`).
 */
export const ConsoleHttpLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const settings = yield* Config.all({
      dir: Config.option(Config.string("SCRIBE_CONSOLE_DIR")),
      supabaseUrl: Config.option(Config.string("SUPABASE_URL")),
      anonKey: Config.option(Config.string("SUPABASE_ANON_KEY"))
    })
    const dev = yield* SupabaseAuth.DevAuth
    const assets = loadConsole(consoleDir(settings.dir))
    const supabase = Option.all({ url: settings.supabaseUrl, anon_key: settings.anonKey }).pipe(
      Option.map(({ url, anon_key }) => ({ url: url.replace(/\/+$/, ""), anon_key }))
    )
    const connectOrigins = Option.match(supabase, { onNone: () => [], onSome: (s) => [new URL(s.url).origin] })
    const pageHeaders = securityHeaders(connectOrigins)

    yield* router.get(
      "/api/console/config",
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        HttpServerResponse.json(
          {
            supabase: Option.getOrNull(supabase),
            dev_sign_in: Option.isSome(dev.mintToken) && isLocalRequest(request)
          },
          { headers: { "cache-control": "no-store" } }
        )
      ).pipe(Effect.orDie)
    )

    const page = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = pathOf(request.url)
      if (path === undefined) return HttpServerResponse.empty({ status: 400 })
      if (reserved.test(path)) return yield* new HttpServerError.RouteNotFound({ request })
      const index = assets.get("/index.html")
      if (index === undefined) return HttpServerResponse.html(notBuilt).pipe(HttpServerResponse.setHeaders(pageHeaders))
      const asset = assets.get(path)
      if (asset !== undefined) return serve(asset, request, asset === index ? pageHeaders : {})
      if (path.startsWith("/assets/") || extname(path) !== "" || path.includes("/.")) {
        return yield* new HttpServerError.RouteNotFound({ request })
      }
      return serve(index, request, pageHeaders)
    })
    yield* router.get("/", page)
    yield* router.get("/*", page)
  })
).pipe(Layer.merge(DevSessionLive))
