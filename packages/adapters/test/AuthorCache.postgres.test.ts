import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import { authorCacheContract } from "./AuthorCacheContract"
import { freshSqlAuthorCache } from "./AuthorCacheSql"

await describePostgres("AuthorCache (Postgres)", () =>
  authorCacheContract("AuthorCache (Postgres)", { layer: layerTempPostgres(), fresh: freshSqlAuthorCache })
)
