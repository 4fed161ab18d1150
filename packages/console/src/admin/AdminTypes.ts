import type { Email } from "@scribe/client/ScribeClient"

/** The operators' API's answers (`/api/admin/...`), as the contract decodes them (timestamps as `Date`). */

export interface Overview {
  readonly total_users: number
  readonly total_emails: number
  readonly success_rate: number
  readonly avg_gen_time_seconds: number
  readonly total_templates: number
  readonly confidence_rate: number
  readonly error_count: number
  readonly emails_this_week: number
  readonly active_users_this_week: number
}

export interface AdminUser {
  readonly id: string
  readonly email: string | null
  readonly display_name: string | null
  readonly generation_count: number
  readonly template_count: number
  readonly onboarded: boolean
  readonly created_at: Date
  readonly queue_submissions: number
  readonly failed_count: number
}

export interface EmailPage {
  readonly items: ReadonlyArray<Email>
  readonly total: number
  readonly page: number
  readonly per_page: number
  readonly pages: number
}

export interface WeekActivity {
  readonly week: string
  readonly emails_generated: number
  readonly active_users: number
}

export interface FailedJob {
  readonly id: string
  readonly user_id: string
  readonly user_email: string | null
  readonly user_display_name: string | null
  readonly recipient_name: string
  readonly recipient_interest: string
  readonly current_step: string | null
  readonly error_message: string | null
  readonly error_type: string | null
  readonly attempts: number
  readonly created_at: Date
}

export interface AdminJob {
  readonly id: string
  readonly recipient_name: string
  readonly status: string
  readonly current_step: string | null
  readonly error_message: string | null
  readonly attempts: number
  readonly created_at: Date
}

export interface AdminTemplate {
  readonly id: string
  readonly template_text: string
  readonly generator: "llm" | "deterministic"
  readonly created_at: Date
}
