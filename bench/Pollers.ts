/**
 * Benchmark 5: 1 000 clients, each polling its own task with `GET /api/email/status/{id}` every 2 s (real seconds:
 * the client's interval is not scaled) for `--poller-seconds` (60 by default), each over a keep-alive connection of
 * its own, against the API process on Postgres with the seeded 100 000-row tables. Half the tasks are pending, half
 * finished 20 minutes ago (500 users, two tasks each). Clients start spread over the first 2 s; a poll whose answer
 * comes later than the next tick skips that tick (counted as late). The first 10 s (connections opening, first token
 * checks and user upserts) are a warm-up: reported as their worst latency, not counted in the percentiles.
 */

import * as Http from "node:http"
import { Effect } from "effect"
import Pg from "pg"
import { apiForm, migrateWithApi, startApi } from "./ApiProcess"
import * as Fixtures from "./Fixtures"
import { type BenchContext, type BenchOutcome, type Row, round, sleep, summarize, tempDatabase } from "./Harness"
import * as Seed from "./Seed"

const pollers = 1000
const intervalMs = 2000
/** The first seconds, not counted: 1 000 connections opening, first token checks and user upserts, a cold JIT. */
const warmupMs = 10_000

const get = (agent: Http.Agent, port: number, path: string, token: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = Http.request(
      { host: "127.0.0.1", port, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.end()
  })

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const database = await tempDatabase()
    try {
      await migrateWithApi({ DATABASE_URL: database.url })
      ctx.log(`pollers: seeding ${Seed.defaultRows} rows on Postgres`)
      const pool = new Pg.Pool({ connectionString: database.url, max: 2 })
      for (const statement of Seed.seedStatements(Seed.defaultRows)) await pool.query(statement)
      await pool.end()
      const { process: api, port } = await startApi({ DATABASE_URL: database.url })
      try {
        const tasks = Seed.pollerTasks()
        const tokens = new Map<string, string>()
        for (const task of tasks) {
          if (!tokens.has(task.user)) tokens.set(task.user, await Fixtures.tokenFor(task.user))
        }
        ctx.log(`pollers: ${pollers} clients every ${intervalMs / 1000} s for ${ctx.pollerSeconds} s`)
        const latencies: Array<number> = []
        // Per second of the run: the worst latency, to tell a start-up burst from a steady state.
        const worstBySecond: Array<number> = []
        const statuses = new Map<string, number>()
        let errors = 0
        let late = 0
        const agents: Array<Http.Agent> = []
        const stopRss = api.sampleRss(500)
        const start = performance.now()
        const measuredFrom = start + warmupMs
        const end = measuredFrom + ctx.pollerSeconds * 1000
        let coldWorst = 0
        const poller = async (i: number) => {
          const task = tasks[i % tasks.length]!
          const token = tokens.get(task.user)!
          const agent = new Http.Agent({ keepAlive: true, maxSockets: 1 })
          agents.push(agent)
          let tick = start + Math.random() * intervalMs
          while (tick < end) {
            const wait = tick - performance.now()
            if (wait > 0) await sleep(wait)
            const sent = performance.now()
            try {
              const status = await get(agent, port, `/api/email/status/${task.id}`, token)
              const key = String(status)
              statuses.set(key, (statuses.get(key) ?? 0) + 1)
              const took = performance.now() - sent
              const second = Math.floor((sent - start) / 1000)
              worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, took)
              if (sent < measuredFrom) coldWorst = Math.max(coldWorst, took)
              else if (status === 200) latencies.push(took)
              else errors++
            } catch {
              if (sent >= measuredFrom) errors++
            }
            tick += intervalMs
            while (tick < performance.now()) {
              tick += intervalMs
              late++
            }
          }
        }
        await Promise.all(Array.from({ length: pollers }, (_, i) => poller(i)))
        const rss = stopRss()
        for (const agent of agents) agent.destroy()
        const latency = summarize(latencies)
        const seconds = (performance.now() - measuredFrom) / 1000
        const rows: Array<Row> = [
          {
            bench: "pollers",
            name: `status p99, ${pollers} clients every 2 s (Postgres, ${ctx.pollerSeconds} s unscaled)`,
            value: latency.p99,
            unit: "ms",
            target: { text: "< 50 ms", met: latency.p99 < 50 }
          },
          { bench: "pollers", name: "status p50", value: latency.p50, unit: "ms" },
          {
            bench: "pollers",
            name: "errors (non-200 or network)",
            value: errors,
            unit: "count",
            target: { text: "0", met: errors === 0 }
          },
          {
            bench: "pollers",
            name: "requests served per second",
            value: (latencies.length + errors) / seconds,
            unit: "req/s",
            baseline: { label: "offered", value: pollers / (intervalMs / 1000) }
          },
          {
            bench: "pollers",
            name: `worst latency in the first ${warmupMs / 1000} s (all clients connecting; not counted above)`,
            value: coldWorst,
            unit: "ms"
          },
          {
            bench: "pollers",
            name: `API RSS peak (API ${apiForm === "tsx" ? "under tsx" : "bundled"})`,
            value: summarize(rss).max,
            unit: "MB"
          }
        ]
        return {
          rows,
          details: {
            latencyMs: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, round(v, 3)])),
            statuses: Object.fromEntries(statuses),
            errors,
            lateTicks: late,
            worstBySecondMs: Array.from(worstBySecond, (v) => round(v ?? 0, 1)),
            apiRssMb: summarize(rss)
          }
        }
      } finally {
        await api.stop()
      }
    } finally {
      await database.drop()
    }
  })
