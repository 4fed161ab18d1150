import { createServer } from "node:http"
import { Readable } from "node:stream"

/** One upload the route received. */
export interface Upload {
  readonly method: string
  readonly path: string
  readonly authorization: string
  readonly file: Uint8Array
  readonly fileName: string
  readonly instructions: string | null
}

export const madeTemplate = {
  id: "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
  user_id: "u1",
  pdf_url: null,
  template_text: "Dear {{name}}, I am a student of {{research}}.",
  user_instructions: null,
  created_at: "2026-11-30T09:00:00Z"
}

/**
 * `POST /api/templates/` as its contract describes it (multipart field `file`, 201 with the template), on a free
 * loopback port: the route is not in the service yet, so the CLI's side is tested against its shape.
 */
export const startTemplatesRoute = async () => {
  const uploads: Array<Upload> = []
  const server = createServer(async (request, response) => {
    const body = await new Response(Readable.toWeb(request) as ReadableStream, {
      headers: { "content-type": request.headers["content-type"] ?? "" }
    }).formData()
    const file = body.get("file")
    if (!(file instanceof File)) {
      response.writeHead(422, { "content-type": "application/json" })
      return response.end(
        JSON.stringify({ detail: [{ loc: ["body", "file"], msg: "Field required", type: "missing" }] })
      )
    }
    const instructions = body.get("user_instructions")
    uploads.push({
      method: request.method ?? "",
      path: request.url ?? "",
      authorization: request.headers.authorization ?? "",
      file: new Uint8Array(await file.arrayBuffer()),
      fileName: file.name,
      instructions: typeof instructions === "string" ? instructions : null
    })
    response.writeHead(201, { "content-type": "application/json" })
    response.end(JSON.stringify({ ...madeTemplate, user_instructions: instructions ?? null }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`,
    uploads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
