import { hasRoute } from "../api/Contract"

/**
 * The pages that need routes the contract may not have yet: each is shown only when the contract this console was
 * built with has its routes.
 */
export const features = {
  /** The template kept in the user's profile (`GET /api/user/profile`, `PATCH /api/user/template`). */
  profile: hasRoute("GET", "/api/user/profile") && hasRoute("PATCH", "/api/user/template"),
  /** Templates written from a résumé (`POST /api/templates/`, `GET /api/templates/`). */
  resumeTemplates: hasRoute("POST", "/api/templates/") && hasRoute("GET", "/api/templates/"),
  /** The operators' view (`/api/admin/...`). */
  admin: hasRoute("GET", "/api/admin/overview")
} as const
