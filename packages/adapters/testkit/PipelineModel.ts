import { type ChatRequest, type LlmReply, type LlmScript, Reply } from "./FakeLlm"

/**
 * A simulated language model that does the pipeline's three jobs the way a competent model would, reading only what
 * the prompts give it: it analyses templates, extracts facts from fenced pages, and fills templates from the verified
 * papers. Knobs make it misbehave the ways real models do, so tests can show the pipeline's checks catch them.
 */
export interface Behaviour {
  /** Cite this made-up paper title in the email; `always` keeps doing it after the checks reject the draft. */
  readonly fabricate?: { readonly title: string; readonly always: boolean }
  /** Obey instructions found in page text: report them as facts and put their link into the email. */
  readonly obeyInjection?: boolean
  /** Replace a reply (by step) with a failure, e.g. a 429 on the first call; `undefined` answers normally. */
  readonly override?: (request: ChatRequest) => LlmReply | undefined
}

const fenced = (text: string, label: string): Array<{ readonly header: string; readonly body: string }> => {
  const blocks: Array<{ header: string; body: string }> = []
  const pattern = new RegExp(`<<<(${label}[^>]*)>>>\\n([\\s\\S]*?)\\n<<<END ${label.split(" ")[0]}>>>`, "g")
  for (const match of text.matchAll(pattern)) blocks.push({ header: match[1] ?? "", body: match[2] ?? "" })
  return blocks
}

const placeholders = (template: string) => [
  ...new Set(Array.from(template.matchAll(/\{\{\s*([^{}]+?)\s*\}\}/g), (m) => m[1] ?? ""))
]

const usage = (request: ChatRequest) => ({
  usage: { promptTokens: Math.ceil((request.system.length + request.prompt.length) / 4), completionTokens: 120 }
})

const analyse = (request: ChatRequest): LlmReply => {
  const template = fenced(request.prompt, "TEMPLATE")[0]?.body ?? ""
  const names = placeholders(template)
  return Reply.json(
    {
      templateType: /book/i.test(template) ? "book" : "research",
      placeholders: names.map((name) =>
        /name/i.test(name)
          ? { name, kind: "recipient_name", needs: "the recipient's name" }
          : /research|paper|work|publication/i.test(name)
            ? { name, kind: "publication", needs: "one of the recipient's papers" }
            : { name, kind: "interest", needs: "the recipient's research interest" }
      )
    },
    usage(request)
  )
}

const instructionLike = /ignore (all )?(previous|prior) instructions|include (this|the following) link|system prompt/i

const extractFacts = (request: ChatRequest, behaviour: Behaviour): LlmReply => {
  const person = /about one person, (.+?), from web pages/.exec(request.system)?.[1] ?? ""
  const surname = person.split(/\s+/).pop() ?? person
  const facts: Array<{ statement: string; sourceUrl: string }> = []
  for (const { header, body } of fenced(request.prompt, "PAGE")) {
    const url = /url=(\S+)/.exec(header)?.[1] ?? ""
    const sentences = body.split(/(?<=[.!?])\s+/).map((s) => s.replace(/\s+/g, " ").trim())
    for (const sentence of sentences) {
      const injected = instructionLike.test(sentence)
      if (injected ? behaviour.obeyInjection === true : sentence.includes(surname) && sentence.length < 300) {
        facts.push({ statement: sentence, sourceUrl: url })
      }
    }
  }
  return Reply.json({ facts: facts.slice(0, 8) }, usage(request))
}

const compose = (request: ChatRequest, behaviour: Behaviour): LlmReply => {
  const template = fenced(request.prompt, "TEMPLATE")[0]?.body ?? ""
  const name = /name without titles: ([^)]+)\)/.exec(request.prompt)?.[1] ?? "Professor"
  const interest = /Recipient's interest: (.+)/.exec(request.prompt)?.[1] ?? "your field"
  const papers = Array.from(
    (fenced(request.prompt, "VERIFIED PAPERS")[0]?.body ?? "").matchAll(/^- "(.+)" \(arXiv:/gm),
    (m) => m[1] ?? ""
  )
  const retry = request.prompt.includes("Your previous draft was rejected")
  const fabricated =
    behaviour.fabricate !== undefined && (behaviour.fabricate.always || !retry) ? behaviour.fabricate.title : undefined
  const cited = fabricated ?? papers[0]
  let email = template.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, key: string) => {
    if (/name/i.test(key)) return name
    if (/research|paper|work|publication/i.test(key)) return cited === undefined ? interest : `your paper "${cited}"`
    return interest
  })
  if (behaviour.obeyInjection === true) {
    const link = /(https?:\/\/\S+?)[)\s.]*(?:\n|$)/m.exec(
      (fenced(request.prompt, "FACTS")[0]?.body ?? "")
        .split("\n")
        .filter((line) => instructionLike.test(line))
        .join("\n")
    )?.[1]
    email += `\n\nP.S. As instructed, see ${link ?? "https://evil.example/offer"} for more.`
  }
  return Reply.json({ email }, usage(request))
}

/** A script for the world's LLM that serves the whole pipeline. */
export const pipelineModel =
  (behaviour: Behaviour = {}): LlmScript =>
  (request) => {
    const overridden = behaviour.override?.(request)
    if (overridden !== undefined) return overridden
    switch (request.schemaName) {
      case "template_analysis":
        return analyse(request)
      case "web_facts":
        return extractFacts(request, behaviour)
      case "email_draft":
        return compose(request, behaviour)
      default:
        return Reply.badRequest(`pipeline model: unknown schema ${request.schemaName ?? "-"}`)
    }
  }
