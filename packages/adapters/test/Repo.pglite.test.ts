import * as Database from "../src/sql/Database"
import { freshSqlRepo, repoContract, sqlChecks } from "./RepoContract"

// One in-memory PGlite for the file (initdb costs seconds and ~800 MB); tests truncate the tables.
repoContract("Repo (PGlite)", {
  layer: Database.layerPglite("memory"),
  fresh: freshSqlRepo,
  extra: sqlChecks
})
