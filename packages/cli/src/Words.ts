/** `3 jobs`, `1 job`; `plural(2, "batch", "batches")`. */
export const plural = (count: number, noun: string, nouns = `${noun}s`) => `${count} ${count === 1 ? noun : nouns}`
