import { execFileSync, spawnSync } from "node:child_process"
import { cleanEnv } from "./Harness"

/** A tmux server of this test file's own (its own socket), so no other tmux session is touched. */
export const makeTmux = (name: string) => {
  const socket = `scribe-cli-${process.pid}-${name}`
  const tmux = (args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv) =>
    execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env: env ?? process.env })
  return {
    /** Runs `command` in a 120×40 terminal; when it ends the screen shows `EXIT=<code>` and stays. */
    start: (command: string, env: Record<string, string>) =>
      tmux(
        ["new-session", "-d", "-s", name, "-x", "120", "-y", "40", `${command}; echo EXIT=$?; sleep 600`],
        cleanEnv(env)
      ),
    screen: () => tmux(["capture-pane", "-p", "-t", name]),
    sendKeys: (...keys: ReadonlyArray<string>) => tmux(["send-keys", "-t", name, ...keys]),
    /** Polls the screen until `done` holds (30 s at most), returning it. */
    waitFor: async (what: string, done: (screen: string) => boolean, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      let screen = ""
      while (Date.now() < deadline) {
        screen = tmux(["capture-pane", "-p", "-t", name])
        if (done(screen)) return screen
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`)
    },
    kill: () => {
      spawnSync("tmux", ["-L", socket, "kill-server"])
    }
  }
}

export const hasTmux = () => spawnSync("tmux", ["-V"]).status === 0
