import type { WeekActivity } from "./AdminTypes"

/** Emails per ISO week as bars, active users as a line: plain SVG, with the figures in a table for screen readers. */
export const ActivityChart = ({ weeks }: { readonly weeks: ReadonlyArray<WeekActivity> }) => {
  const width = 640
  const height = 200
  const pad = { top: 16, right: 8, bottom: 32, left: 44 }
  const innerW = width - pad.left - pad.right
  const innerH = height - pad.top - pad.bottom
  const max = Math.max(1, ...weeks.map((w) => Math.max(w.emails_generated, w.active_users)))
  const slot = innerW / Math.max(1, weeks.length)
  const y = (v: number) => pad.top + innerH - (v / max) * innerH
  const line = weeks.map((w, i) => `${pad.left + slot * i + slot / 2},${y(w.active_users)}`).join(" ")
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="activity-caption">
        <title>Weekly activity</title>
        <line x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} className="axis" />
        <text x={pad.left - 6} y={y(max) + 4} textAnchor="end" className="tick">
          {max}
        </text>
        <text x={pad.left - 6} y={y(0) + 4} textAnchor="end" className="tick">
          0
        </text>
        {weeks.map((w, i) => (
          <g key={w.week}>
            <rect
              x={pad.left + slot * i + slot * 0.15}
              y={y(w.emails_generated)}
              width={slot * 0.7}
              height={Math.max(0, y(0) - y(w.emails_generated))}
              className="bar"
            >
              <title>
                {w.week}: {w.emails_generated} emails, {w.active_users} active users
              </title>
            </rect>
            {(weeks.length <= 12 || i % Math.ceil(weeks.length / 12) === 0) && (
              <text x={pad.left + slot * i + slot / 2} y={height - 8} textAnchor="middle" className="tick">
                {w.week.slice(5)}
              </text>
            )}
          </g>
        ))}
        {weeks.length > 1 && <polyline points={line} className="line" fill="none" />}
      </svg>
      <figcaption id="activity-caption">
        Emails per week (bars) and active users (line), last {weeks.length} weeks
      </figcaption>
      <table className="sr-only">
        <caption>Weekly activity</caption>
        <thead>
          <tr>
            <th scope="col">Week</th>
            <th scope="col">Emails</th>
            <th scope="col">Active users</th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => (
            <tr key={w.week}>
              <td>{w.week}</td>
              <td>{w.emails_generated}</td>
              <td>{w.active_users}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}
