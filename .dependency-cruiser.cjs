/** The hexagon's dependency rule: dependencies point inward. Checked in CI (`pnpm lint`). */
module.exports = {
  forbidden: [
    {
      name: "core-imports-only-effect",
      comment: "packages/core is the domain: it may import only `effect` and itself.",
      severity: "error",
      from: { path: "^packages/core/src" },
      to: { pathNot: ["^packages/core/src", "node_modules/effect/", "node_modules/\\.pnpm/effect@"] }
    },
    {
      name: "client-is-browser-safe",
      comment:
        "packages/client is the contract and SDK: effect, @effect/platform and core schemas only, no Node or server code.",
      severity: "error",
      from: { path: "^packages/client/src" },
      to: {
        pathNot: [
          "^packages/client/src",
          "^packages/core/src",
          "node_modules/effect/",
          "node_modules/\\.pnpm/effect@",
          "node_modules/@effect/platform/",
          "node_modules/\\.pnpm/@effect\\+platform@"
        ]
      }
    },
    {
      name: "client-no-node-builtins",
      severity: "error",
      from: { path: "^packages/client/src" },
      to: { dependencyTypes: ["core"] }
    },
    {
      name: "adapters-point-inward",
      comment:
        "adapters implement core's ports; they never reach into the wiring, the composition roots or the client.",
      severity: "error",
      from: { path: "^packages/adapters/src" },
      to: { path: "^packages/(wiring|http|worker|client)/" }
    },
    {
      name: "wiring-serves-the-roots",
      comment: "packages/wiring is the composition both roots share: only the roots import it.",
      severity: "error",
      from: { path: "^packages/(core|adapters|client)/" },
      to: { path: "^packages/wiring/" }
    },
    {
      name: "wiring-is-not-a-root",
      comment: "the shared wiring never imports a composition root.",
      severity: "error",
      from: { path: "^packages/wiring/" },
      to: { path: "^packages/(http|worker)/" }
    },
    {
      name: "roots-do-not-import-roots",
      comment: "the http and worker roots never import each other: what both need lives in packages/wiring.",
      severity: "error",
      from: { path: "^packages/(http|worker)/" },
      // $1 is the importing root: a root's own files are its own business.
      to: { path: "^packages/(http|worker)/", pathNot: "^packages/$1/" }
    },
    {
      name: "cli-is-a-client",
      comment:
        "packages/cli is a pure HTTP client: of the workspace it imports only packages/client (the contract and SDK).",
      severity: "error",
      from: { path: "^packages/cli/" },
      to: { path: "^packages/(core|adapters|wiring|http|worker)/" }
    },
    {
      name: "console-talks-through-the-client",
      comment:
        "packages/console is a browser app: of the workspace it imports only packages/client (the contract and SDK).",
      severity: "error",
      from: { path: "^packages/console/" },
      to: { path: "^packages/", pathNot: ["^packages/console/", "^packages/client/"] }
    },
    {
      name: "roots-are-leaves",
      comment: "nothing but a root's own files imports a composition root.",
      severity: "error",
      from: { pathNot: "^packages/(http|worker)/" },
      to: { path: "^packages/(http|worker)/src" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"]
    },
    exclude: { path: "(^|/)(test|dist)/" }
  }
}
