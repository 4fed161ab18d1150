import { Schema } from "effect"

/** A scholarly paper as a bibliographic source lists it. */
export class Paper extends Schema.Class<Paper>("Paper")({
  /** arXiv id, e.g. `2301.01234v2`. */
  id: Schema.String,
  title: Schema.String,
  authors: Schema.Array(Schema.String),
  summary: Schema.String,
  published: Schema.DateFromSelf,
  url: Schema.String
}) {}
