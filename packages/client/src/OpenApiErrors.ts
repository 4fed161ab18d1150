const decodeErrorRef = "#/components/schemas/HttpApiDecodeError"

type Json = { readonly [key: string]: unknown }
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const isDecodeErrorRef = (schema: unknown) => isObject(schema) && schema.$ref === decodeErrorRef

/** The schema of a response without the decode-error alternative; `undefined` when nothing else was there. */
const withoutDecodeError = (schema: unknown): unknown => {
  if (isDecodeErrorRef(schema)) return undefined
  if (isObject(schema) && Array.isArray(schema.anyOf)) {
    const rest = schema.anyOf.filter((s) => !isDecodeErrorRef(s))
    return rest.length === 1 ? rest[0] : { ...schema, anyOf: rest }
  }
  return schema
}

/**
 * The server answers request-decoding failures with 422 (FastAPI's shape, listed on each endpoint that takes input),
 * never with HttpApi's default 400 `HttpApiDecodeError`; this removes that default from the document.
 */
export const withoutDefaultDecodeError = (spec: Record<string, unknown>): Record<string, unknown> => {
  const paths: Record<string, unknown> = {}
  for (const [path, item] of Object.entries(isObject(spec.paths) ? spec.paths : {})) {
    const operations: Record<string, unknown> = {}
    for (const [method, operation] of Object.entries(item as Json)) {
      if (!isObject(operation) || !isObject(operation.responses)) {
        operations[method] = operation
        continue
      }
      const responses: Record<string, unknown> = {}
      for (const [status, response] of Object.entries(operation.responses)) {
        const content = isObject(response) && isObject(response.content) ? response.content : undefined
        const json =
          content !== undefined && isObject(content["application/json"]) ? content["application/json"] : undefined
        if (json === undefined) {
          responses[status] = response
          continue
        }
        const schema = withoutDecodeError(json.schema)
        if (schema === undefined) continue
        const description = schema === json.schema ? (response as Json).description : "Bad Request"
        responses[status] = {
          ...(response as Json),
          description,
          content: { ...content, "application/json": { ...json, schema } }
        }
      }
      operations[method] = { ...operation, responses }
    }
    paths[path] = operations
  }
  const components = isObject(spec.components) ? spec.components : {}
  const {
    HttpApiDecodeError: _,
    Issue: __,
    PropertyKey: ___,
    ...schemas
  } = isObject(components.schemas) ? components.schemas : {}
  return { ...spec, paths, components: { ...components, schemas } }
}
