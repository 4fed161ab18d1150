import type { Email } from "../emails/Email"
import type { EmailId, JobId, UserId } from "../Ids"
import { noTurns, type QueueOrder, type Turns } from "../jobs/FairOrder"
import type { Job } from "../jobs/Job"
import type { DailyUsage } from "../usage/Usage"

/** Who holds a job, and until when (epoch ms). */
export interface Held {
  readonly workerId: string
  readonly until: number
}

/** The in-memory store's state, shared by its `Repo` (`RepoMemory`) and its `MemoryLeases`. Test code only. */
export interface State {
  readonly users: ReadonlyMap<UserId, { readonly email: string | null; readonly createdAt: Date }>
  readonly jobs: ReadonlyMap<JobId, Job>
  readonly leases: ReadonlyMap<JobId, Held>
  readonly availableAt: ReadonlyMap<JobId, number>
  readonly emails: ReadonlyMap<EmailId, Email>
  readonly nextSeq: number
  readonly keys: ReadonlyMap<
    string,
    { readonly request: string; readonly jobIds: ReadonlyArray<JobId>; readonly at: number }
  >
  /** By `<user>\u0000<day>`. */
  readonly usage: ReadonlyMap<string, DailyUsage & { readonly userId: UserId }>
  /** The order claims take jobs in, and the fair order's turns (kept in either order, as the SQL triggers do). */
  readonly order: QueueOrder
  readonly turns: Turns
  /** Under the fair order, passed over while running this many while another user has a claimable job (`null`: no cap). */
  readonly maxRunningPerUser: number | null
}

export const empty: State = {
  users: new Map(),
  jobs: new Map(),
  leases: new Map(),
  availableAt: new Map(),
  emails: new Map(),
  nextSeq: 1,
  keys: new Map(),
  usage: new Map(),
  order: "fair",
  turns: noTurns,
  maxRunningPerUser: null
}

/** How many pending jobs `userId` has. */
export const pendingOf = (s: State, userId: UserId) => {
  let n = 0
  for (const j of s.jobs.values()) if (j.userId === userId && j.status === "pending") n += 1
  return n
}

/** `map` with `key` set to `value`. */
export const set = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V) => new Map(map).set(key, value)

/** `map` without `key`. */
export const without = <K, V>(map: ReadonlyMap<K, V>, key: K) => {
  const next = new Map(map)
  next.delete(key)
  return next
}
