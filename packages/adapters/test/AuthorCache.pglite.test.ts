import * as Database from "../src/sql/Database"
import { authorCacheContract } from "./AuthorCacheContract"
import { freshSqlAuthorCache } from "./AuthorCacheSql"

authorCacheContract("AuthorCache (PGlite)", { layer: Database.layerPglite("memory"), fresh: freshSqlAuthorCache })
