/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests. (parse-prometheus-text-format, the
 * npm parser, merges the samples of a labelled histogram into one and drops their labels, `_count` and `_sum`.)
 * Fails on anything the format does not allow: a sample before its `# TYPE`, a sample name that does not belong to
 * its family, bad label syntax or escapes, duplicate series, a non-numeric value, histogram buckets that are not
 * cumulative or lack `le="+Inf"` equal to `_count`.
 */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped"
  readonly help: string
  readonly samples: ReadonlyArray<Sample>
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/

const parseValue = (text: string, line: string): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`)
  return Number(text)
}

/** Labels from just after `{`; returns them and the index after `}`. */
const parseLabels = (line: string, from: number) => {
  const labels: Record<string, string> = {}
  let i = from
  while (true) {
    if (line[i] === "}") return { labels, next: i + 1 }
    const eq = line.indexOf("=", i)
    if (eq < 0) throw new Error(`bad labels in: ${line}`)
    const name = line.slice(i, eq)
    if (!labelName.test(name) || name in labels) throw new Error(`bad label name "${name}" in: ${line}`)
    if (line[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`)
    let value = ""
    let j = eq + 2
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === "\\") {
        const escaped = line[++j]
        if (escaped === "n") value += "\n"
        else if (escaped === "\\" || escaped === '"') value += escaped
        else throw new Error(`bad escape in: ${line}`)
      } else value += line[j]
    }
    if (j >= line.length) throw new Error(`unterminated label value in: ${line}`)
    labels[name] = value
    i = j + 1
    if (line[i] === ",") i++
    else if (line[i] !== "}") throw new Error(`bad label separator in: ${line}`)
  }
}

const suffixes: Record<Family["type"], ReadonlyArray<string>> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"]
}

export const parse = (text: string): ReadonlyArray<Family> => {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline")
  const families: Array<{ name: string; type: Family["type"]; help: string; samples: Array<Sample> }> = []
  const help = new Map<string, string>()
  const seen = new Set<string>()
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    if (line.startsWith("#")) {
      const [, keyword, name, ...rest] = line.split(" ")
      if (keyword === "HELP") help.set(name!, rest.join(" ").replace(/\\n/g, "\n").replace(/\\\\/g, "\\"))
      if (keyword === "TYPE") {
        const type = rest[0] as Family["type"]
        if (!metricName.test(name!) || !(type in suffixes)) throw new Error(`bad TYPE line: ${line}`)
        if (families.some((f) => f.name === name)) throw new Error(`family declared twice: ${name}`)
        families.push({ name: name!, type, help: help.get(name!) ?? "", samples: [] })
      }
      continue
    }
    const brace = line.indexOf("{")
    const space = line.indexOf(" ")
    const nameEnd = brace >= 0 && brace < space ? brace : space
    const name = line.slice(0, nameEnd)
    if (!metricName.test(name)) throw new Error(`bad metric name in: ${line}`)
    const { labels, next } = brace === nameEnd ? parseLabels(line, brace + 1) : { labels: {}, next: nameEnd }
    const [valueText, timestamp, ...extra] = line.slice(next).trim().split(/\s+/)
    if (extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
      throw new Error(`bad sample: ${line}`)
    const family = families.at(-1)
    if (family === undefined || !suffixes[family.type].some((s) => `${family.name}${s}` === name)) {
      throw new Error(`sample outside its family: ${line}`)
    }
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (seen.has(series)) throw new Error(`duplicate series: ${line}`)
    seen.add(series)
    family.samples.push({ name, labels, value: parseValue(valueText ?? "", line) })
  }
  for (const family of families) if (family.type === "histogram") checkHistogram(family)
  return families
}

const withoutLe = (labels: Readonly<Record<string, string>>) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== "le")
      .sort()
  )

const checkHistogram = (family: Family) => {
  const groups = new Map<string, Array<Sample>>()
  for (const s of family.samples) groups.set(withoutLe(s.labels), [...(groups.get(withoutLe(s.labels)) ?? []), s])
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"))
    const count = samples.find((s) => s.name === `${family.name}_count`)
    const sum = samples.find((s) => s.name === `${family.name}_sum`)
    if (count === undefined || sum === undefined) throw new Error(`${family.name}: a series without _count or _sum`)
    const bounds = buckets.map((b) => parseValue(b.labels.le ?? "", `${family.name} le`))
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!) || buckets[i]!.value < buckets[i - 1]!.value) {
        throw new Error(`${family.name}: buckets not increasing`)
      }
    }
    const inf = buckets.at(-1)
    if (inf?.labels.le !== "+Inf" || inf.value !== count.value) throw new Error(`${family.name}: le="+Inf" != _count`)
  }
}

/** The sum of the samples named `name` carrying these labels (0 when none). */
export const sampleSum = (families: ReadonlyArray<Family>, name: string, labels: Record<string, string> = {}) =>
  families
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0)
