#!/usr/bin/env node
// The `scribe` command: runs the TypeScript sources through tsx, which this package depends on.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
