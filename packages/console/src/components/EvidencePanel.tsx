import type { Email } from "@scribe/client/ScribeClient"
import { checkLabels, evidenceOf, safeLink, seconds, stepLabels, usd } from "../lib/Evidence"

/** Why the email says what it says: papers, facts and sources, the checks, the confidence, time, tokens and cost. */
export const EvidencePanel = ({ email }: { readonly email: Email }) => {
  const e = evidenceOf(email.metadata)
  return (
    <section className="evidence" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>

      <div className={`confidence ${email.is_confident ? "confidence-yes" : "confidence-no"}`}>
        <strong>{email.is_confident ? "Confident" : "Not confident"}</strong>
        {e.confidenceReason !== null && <span> — {e.confidenceReason}</span>}
        {e.composerLabel !== null && <p className="muted">{e.composerLabel}</p>}
      </div>

      <h3>Papers ({e.papers.length})</h3>
      {e.papers.length === 0 ? (
        <p className="muted">No paper of theirs was found and verified.</p>
      ) : (
        <ul className="papers">
          {e.papers.map((p) => (
            <li key={p.title}>
              {p.url !== null ? (
                <a href={p.url} target="_blank" rel="noreferrer noopener">
                  {p.title}
                </a>
              ) : (
                p.title
              )}
              {p.cited && <span className="badge badge-ok">cited</span>}
              <div className="muted small">
                {[p.published?.slice(0, 10), p.authors.slice(0, 4).join(", ") + (p.authors.length > 4 ? " et al." : "")]
                  .filter(Boolean)
                  .join(" · ")}
              </div>
            </li>
          ))}
        </ul>
      )}

      <h3>Facts ({e.facts.length})</h3>
      {e.facts.length === 0 ? (
        <p className="muted">No facts from the web were used.</p>
      ) : (
        <ul>
          {e.facts.map((f) => {
            const link = safeLink(f.source)
            return (
              <li key={`${f.statement}|${f.source}`}>
                {f.statement}{" "}
                {link !== null && (
                  <a className="small" href={link} target="_blank" rel="noreferrer noopener">
                    source
                  </a>
                )}
              </li>
            )
          })}
        </ul>
      )}

      <h3>Sources ({e.sources.length})</h3>
      {e.sources.length === 0 ? (
        <p className="muted">No web pages were read.</p>
      ) : (
        <ul className="sources">
          {e.sources.map((s) => {
            const link = safeLink(s)
            return (
              <li key={s}>
                {link !== null ? (
                  <a href={link} target="_blank" rel="noreferrer noopener">
                    {s}
                  </a>
                ) : (
                  s
                )}
              </li>
            )
          })}
        </ul>
      )}

      <h3>Checks</h3>
      {e.checks.length === 0 ? (
        <p className="muted">No checks were recorded.</p>
      ) : (
        <ul className="checks">
          {e.checks.map((c) => (
            <li key={c.name} className={c.passed ? "check-passed" : "check-failed"}>
              <span aria-hidden="true">{c.passed ? "✓" : "✕"}</span> {checkLabels[c.name] ?? c.name}:{" "}
              <strong>{c.passed ? "passed" : "failed"}</strong>
              {c.problems.length > 0 && <div className="small">{c.problems.join("; ")}</div>}
            </li>
          ))}
        </ul>
      )}
      {e.regenerations !== null && e.regenerations > 0 && (
        <p className="small muted">Rewritten {e.regenerations} time(s) to pass the checks.</p>
      )}

      {e.warnings.length > 0 && (
        <>
          <h3>Warnings</h3>
          <ul>
            {e.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </>
      )}

      <h3>Research</h3>
      <dl className="figures">
        {e.counts.map(([label, n]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{n}</dd>
          </div>
        ))}
      </dl>

      <h3>Time, tokens and cost</h3>
      <dl className="figures">
        {e.generationTime !== null && (
          <div>
            <dt>Total time</dt>
            <dd>{seconds(e.generationTime)}</dd>
          </div>
        )}
        {e.stepTimings.map(([step, t]) => (
          <div key={step}>
            <dt>{stepLabels[step] ?? step}</dt>
            <dd>{seconds(t)}</dd>
          </div>
        ))}
        <div>
          <dt>Tokens (prompt / completion)</dt>
          <dd>{e.tokens === null ? "none" : `${e.tokens.total} (${e.tokens.prompt} / ${e.tokens.completion})`}</dd>
        </div>
        <div>
          <dt>Estimated cost</dt>
          <dd>{e.costUsd === null ? "—" : usd(e.costUsd)}</dd>
        </div>
        <div>
          <dt>Written by</dt>
          <dd>
            {e.composer === "deterministic"
              ? "the deterministic composer (no language model)"
              : e.models.length > 0
                ? e.models.map(([step, m]) => `${m} (${stepLabels[step] ?? step})`).join(", ")
                : (e.composer ?? "—")}
          </dd>
        </div>
      </dl>
    </section>
  )
}
