import { segments } from "../lib/TemplateRules"

/** The template with its placeholders marked, as the server will see them. */
export const TemplatePreview = ({ template }: { readonly template: string }) => (
  <section className="template-preview" aria-label="Template with placeholders highlighted">
    {segments(template).map((s, i) =>
      s.placeholder === null ? (
        // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond their place
        <span key={i}>{s.text}</span>
      ) : (
        // biome-ignore lint/suspicious/noArrayIndexKey: as above
        <mark key={i} className="placeholder" title={`Placeholder: ${s.placeholder}`}>
          {s.text}
        </mark>
      )
    )}
  </section>
)
