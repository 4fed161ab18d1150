import { HttpApi, OpenApi } from "@effect/platform"
import { AdminApi } from "./AdminApi"
import { EmailApi } from "./EmailApi"
import { HealthApi } from "./HealthApi"
import { withoutDefaultDecodeError } from "./OpenApiErrors"
import { QueueApi } from "./QueueApi"
import { TemplatesApi } from "./TemplatesApi"
import { UsageApi } from "./UsageApi"
import { UserApi } from "./UserApi"

/** The whole HTTP contract: one definition drives the server, the OpenAPI document and the typed client. */
export class ScribeApi extends HttpApi.make("scribe")
  .add(HealthApi)
  .add(EmailApi)
  .add(QueueApi)
  .add(UsageApi)
  .add(UserApi)
  .add(TemplatesApi)
  .add(AdminApi)
  .annotate(OpenApi.Title, "Scribe")
  .annotate(OpenApi.Description, "Personalised academic outreach emails, grounded in the recipient's real work")
  .annotate(OpenApi.Transform, withoutDefaultDecodeError) {}

/** How the OpenAPI document is generated, by the server at `/openapi.json` and by the docs generator alike. */
export const openApiOptions = { additionalPropertiesStrategy: "allow" } as const

/** The OpenAPI 3.1 document of the contract. Unknown request fields are ignored, hence `additionalProperties`. */
export const openApiDocument = () => OpenApi.fromApi(ScribeApi, openApiOptions)
