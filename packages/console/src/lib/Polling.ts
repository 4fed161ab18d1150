import type { QueueItem } from "@scribe/client/ScribeClient"

/** The service's recommended polling interval. */
export const pollMs = 2000

export const isActive = (item: QueueItem): boolean => item.status === "pending" || item.status === "processing"

/** Poll every 2 s while something is pending or processing; stop once nothing is (the next submission restarts it). */
export const queueInterval = (items: ReadonlyArray<QueueItem> | undefined): number | false =>
  items?.some(isActive) ? pollMs : false
