import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import writeXlsxFile from "write-excel-file/node"
import { badFiles } from "./BadFiles"
import { bin, cliBundle, eventually, queueOf, runCli, startCli, tempDir, template, writeIn } from "./Harness"
import { useService } from "./Suite"
import { startTemplatesRoute } from "./TemplatesRoute"
import { hasTmux, makeTmux } from "./Tmux"

const suite = useService()
const { newUser, scribe } = suite

const profs =
  "Professor,Research,Email\nGrace Hopper,compilers,g@uni.edu\nAlan Turing,computability,a@uni.edu\nBarbara Liskov,data abstraction,b@uni.edu\n"

describe.concurrent("scribe against the embedded default", { timeout: 90_000 }, () => {
  it("batch: plain lines only on change, a folder of emails; a rerun queues nothing; history and export", async () => {
    const token = await newUser()
    const dir = tempDir()
    writeIn(dir, "profs.csv", profs)
    writeIn(dir, "t.txt", template)

    const first = await scribe(token, dir, "batch", "profs.csv", "--template", "t.txt")
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    // Not a terminal: no escape sequences, no redraws.
    expect(first.stdout).not.toContain("\u001b")
    const lines = first.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe(
      'Read 3 recipients from profs.csv (names from "Professor", interests from "Research"): 1 batch of up to 100'
    )
    expect(lines[1]).toBe("Batch 1/1 (rows 2–4): submitted, 3 jobs")
    expect(lines.slice(-3)).toEqual([
      "Batch 1/1 (rows 2–4): done, 3 completed, 0 failed",
      "Done: 3 completed, 0 failed (of 3).",
      "Wrote 3 emails to emails/"
    ])
    const itemLines = lines.slice(2, -3)
    const names = ["Grace Hopper", "Alan Turing", "Barbara Liskov"]
    for (const line of itemLines) {
      expect(line).toMatch(
        /^row [2-4] (Grace Hopper|Alan Turing|Barbara Liskov): (pending( \(#\d+ in line\))?|processing( \((template_parser|web_scraper|arxiv_helper|email_composer)\))?|completed)$/
      )
    }
    names.forEach((name, i) => {
      const states = itemLines
        .filter((line) => line.startsWith(`row ${i + 2} ${name}: `))
        .map((line) => line.slice(`row ${i + 2} ${name}: `.length))
      // Each change once, in lifecycle order, ending completed.
      expect(states.at(-1)).toBe("completed")
      expect(states.filter((s) => s === "completed")).toHaveLength(1)
      for (let j = 1; j < states.length; j++) expect(states[j]).not.toBe(states[j - 1])
      const phase = (s: string) => (s.startsWith("pending") ? 0 : s.startsWith("processing") ? 1 : 2)
      expect([...states.map(phase)].sort()).toEqual(states.map(phase))
    })
    const files = readdirSync(join(dir, "emails")).sort()
    expect(files).toEqual(["row-2-grace-hopper.md", "row-3-alan-turing.md", "row-4-barbara-liskov.md"])
    const grace = readFileSync(join(dir, "emails", "row-2-grace-hopper.md"), "utf8")
    expect(grace).toMatch(
      /^---\nid: "[0-9a-f-]{36}"\nrecipient_name: "Grace Hopper"\nrecipient_interest: "compilers"\n/
    )
    expect(grace).toContain("Dear Grace Hopper,")

    const queued = await queueOf(suite.service().url, token)
    expect(queued).toHaveLength(3)
    const rerun = await scribe(token, dir, "batch", "profs.csv", "--template", "t.txt")
    expect(rerun.code).toBe(0)
    expect(rerun.stdout).toContain("Done: 3 completed, 0 failed (of 3).")
    const after = await queueOf(suite.service().url, token)
    expect(after.map((item) => item.id).sort()).toEqual(queued.map((item) => item.id).sort())

    const [history, md, csv, json] = await Promise.all([
      scribe(token, dir, "history"),
      scribe(token, dir, "export", "--format", "md", "--out", "md"),
      scribe(token, dir, "export", "--format", "csv", "--out", "csv"),
      scribe(token, dir, "export", "--format", "json", "--out", "json")
    ])
    expect(history.code).toBe(0)
    const historyLines = history.stdout.trimEnd().split("\n")
    expect(historyLines[0]).toMatch(/^CREATED\s+RECIPIENT\s+INTEREST\s+CONFIDENT\s+ID$/)
    expect(
      historyLines
        .slice(1)
        .map((line) => line.split(/\s{2,}/)[1])
        .sort()
    ).toEqual([...names].sort())

    expect(md.code).toBe(0)
    expect(md.stdout).toBe("Exported 3 emails to 3 files in md/\n")
    const mdFiles = readdirSync(join(dir, "md"))
    expect(mdFiles).toHaveLength(3)
    for (const file of mdFiles)
      expect(file).toMatch(/^\d{4}-\d{2}-\d{2}-(grace-hopper|alan-turing|barbara-liskov)-[0-9a-f]{8}\.md$/)

    expect(csv.code).toBe(0)
    const csvText = readFileSync(join(dir, "csv", "emails.csv"), "utf8")
    expect(csvText.split("\n")[0]).toBe(
      "id,created_at,recipient_name,recipient_interest,template_type,is_confident,displayed,email_message"
    )
    expect(csvText).toContain(",Alan Turing,computability,")

    expect(json.code).toBe(0)
    const exported = JSON.parse(readFileSync(join(dir, "json", "emails.json"), "utf8")) as Array<{
      recipient_name: string
    }>
    expect(exported.map((email) => email.recipient_name).sort()).toEqual([...names].sort())
  })

  it("batch: a failed job is named with its row and the exit code is 1", async () => {
    const token = await newUser()
    const dir = tempDir()
    writeIn(dir, "profs.csv", "name,interest\nGrace Hopper,compilers\nDoomed Person,nothing at all\n")
    writeIn(dir, "t.txt", template)
    const result = await scribe(token, dir, "batch", "profs.csv", "--template", "t.txt", "--out", "out")
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("Done: 1 completed, 1 failed (of 2).")
    expect(result.stdout).toMatch(/\n {2}row 3 Doomed Person: failed: .+\n/)
    expect(readdirSync(join(dir, "out"))).toEqual(["row-2-grace-hopper.md"])
  })

  it("batch: a bad file or template exits 2 naming the row and column, and submits nothing", async () => {
    const token = await newUser()
    const dir = tempDir()
    writeIn(dir, "t.txt", template)
    writeIn(dir, "short.txt", "Hi {{x}}")
    writeIn(dir, "plain.txt", "Dear professor, I like your work very much.")
    const cases = badFiles(profs)
    const results = await Promise.all(
      cases.map(([file, content, extra]) => {
        writeIn(dir, file, content)
        return scribe(
          token,
          dir,
          "batch",
          file,
          ...(extra.includes("--template") ? extra : ["--template", "t.txt", ...extra])
        )
      })
    )
    results.forEach((result, i) => {
      const [file, , , message] = cases[i]!
      expect({ file, code: result.code }).toEqual({ file, code: 2 })
      expect(result.stderr).toMatch(message)
      expect(result.stdout).not.toContain("submitted")
    })
    expect(await queueOf(suite.service().url, token)).toEqual([])
  })

  it("batch: an .xlsx file with its own column names", async () => {
    const token = await newUser()
    const dir = tempDir()
    writeIn(dir, "t.txt", template)
    await writeXlsxFile([
      ["Full Name of Professor", "Lab", "Works on"],
      ["Grace Hopper", "Navy", "compilers"],
      ["Alan Turing", "Manchester", "computability"]
    ]).toFile(join(dir, "profs.xlsx"))
    const result = await scribe(
      token,
      dir,
      "batch",
      "profs.xlsx",
      "--template",
      "t.txt",
      "--name-column",
      "full name of professor",
      "--interest-column",
      "Works on"
    )
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      'Read 2 recipients from profs.xlsx (names from "Full Name of Professor", interests from "Works on")'
    )
    expect(readdirSync(join(dir, "emails")).sort()).toEqual(["row-2-grace-hopper.md", "row-3-alan-turing.md"])
  })

  it("generate: progress on stderr, the email on stdout", async () => {
    const token = await newUser()
    const dir = tempDir()
    writeIn(dir, "t.txt", template)
    const result = await scribe(
      token,
      dir,
      "generate",
      "--name",
      "Prof. Ada Lovelace",
      "--interest",
      "analytical engines",
      "--template",
      "t.txt"
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /^Dear Ada Lovelace,\n\nI read your work on .+ with great interest\.\n\nBest,\nSam\n$/
    )
    const progress = result.stderr.trimEnd().split("\n")
    for (const line of progress) expect(line).toMatch(/^Task [0-9a-f-]{36}: (pending|processing \(\w+\)|completed)$/)
    expect(progress.at(-1)).toMatch(/: completed$/)

    const bad = await scribe(
      token,
      dir,
      "generate",
      "--name",
      "A",
      "--interest",
      "analytical engines",
      "--template",
      "t.txt"
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--name is too short (1 character; at least 2).")
  })

  it("login: the token is checked, then stored owner-only and used when no token is given", async () => {
    const token = await newUser()
    const dir = tempDir()
    const config = tempDir("scribe-config-")
    const env = { XDG_CONFIG_HOME: config }
    const refused = await runCli(["login", "--url", suite.service().url, "--token", "not-a-token"], { cwd: dir, env })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("refused the token")
    expect(() => statSync(join(config, "scribe", "config.json"))).toThrow()

    // Not a terminal: the token is read from stdin.
    const login = await runCli(["login", "--url", `${suite.service().url}/`], { cwd: dir, env, input: `${token}\n` })
    expect(login.code).toBe(0)
    const file = join(config, "scribe", "config.json")
    expect(login.stdout).toBe(`Logged in to ${suite.service().url}; the token is stored in ${file} (owner-only).\n`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      defaultUrl: suite.service().url,
      servers: { [suite.service().url]: { token } }
    })
    // No --url and no token: the login's server and token.
    const queue = await runCli(["queue"], { cwd: dir, env })
    expect(queue.stderr).toBe("")
    expect(queue.code).toBe(0)
    expect(queue.stdout).toBe(
      "0 jobs in the last 24 hours: 0 pending, 0 processing, 0 completed, 0 failed\nCREATED  RECIPIENT  STATUS  LINE  STEP / ERROR  TRIES  ID\n"
    )

    const nowhere = await runCli(["queue"], { cwd: dir, env: { XDG_CONFIG_HOME: tempDir("scribe-config-") } })
    expect(nowhere.code).toBe(2)
    expect(nowhere.stderr).toContain("No server: pass --url URL")
  })

  it("batch: Ctrl-C stops watching and leaves the jobs queued (without --cancel-on-exit); exit 130", async () => {
    const token = await newUser()
    const dir = tempDir()
    const release = suite.hold("Paused")
    writeIn(dir, "profs.csv", "name,interest\nPaused Grace,compilers\nPaused Alan,computability\n")
    writeIn(dir, "t.txt", template)
    const run = await startCli(["batch", "profs.csv", "--template", "t.txt", "--url", suite.service().url], {
      cwd: dir,
      env: { SCRIBE_TOKEN: token }
    })
    await eventually("the first poll", () => /row 3 Paused Alan: (pending|processing)/.test(run.stdout()))
    run.child.kill("SIGINT")
    const result = await run.done
    release()
    expect(result.code).toBe(130)
    expect(result.stdout).toMatch(
      /\nStopped watching; 2 unfinished jobs go on on the server\. Rerun the command to follow them\.\n$/
    )
    const queue = await queueOf(suite.service().url, token)
    expect(queue.map((item) => item.recipient_name)).toEqual(["Paused Grace", "Paused Alan"])
  })

  it("templates from-resume: the PDF goes as multipart field `file`; the template comes back", async () => {
    const token = await newUser()
    const dir = tempDir()
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    writeIn(dir, "resume.pdf", pdf)
    writeIn(dir, "notes.pdf", "not a pdf")
    const route = await startTemplatesRoute()
    try {
      const made = await runCli(
        ["templates", "from-resume", "resume.pdf", "--instructions", "PhD in ML", "--out", "t.txt", "--url", route.url],
        {
          cwd: dir,
          env: { SCRIBE_TOKEN: token }
        }
      )
      expect(made.code).toBe(0)
      expect(made.stdout).toBe("Dear {{name}}, I am a student of {{research}}.\n")
      expect(readFileSync(join(dir, "t.txt"), "utf8")).toBe("Dear {{name}}, I am a student of {{research}}.\n")
      expect(route.uploads).toHaveLength(1)
      expect(route.uploads[0]).toMatchObject({
        method: "POST",
        path: "/api/templates/",
        authorization: `Bearer ${token}`,
        fileName: "resume.pdf",
        instructions: "PhD in ML"
      })
      expect(Buffer.from(route.uploads[0]!.file)).toEqual(pdf)
    } finally {
      await route.close()
    }
    const [notPdf, unreadable] = await Promise.all([
      scribe(token, dir, "templates", "from-resume", "notes.pdf"),
      scribe(token, dir, "templates", "from-resume", "resume.pdf")
    ])
    expect(notPdf.code).toBe(2)
    expect(notPdf.stderr).toBe("notes.pdf is not a PDF file.\n")
    // The embedded default has the route: without instructions the upload is refused with the field named, as bad input.
    expect(unreadable.code).toBe(2)
    expect(unreadable.stderr).toContain("The server refused resume.pdf (422): body.user_instructions")
  })

  it("batch --embedded: starts its own service, writes the emails, and stops the service on exit", async () => {
    const dir = tempDir()
    writeIn(dir, "profs.csv", profs)
    writeIn(dir, "t.txt", template)
    const result = await runCli(
      ["batch", "profs.csv", "--template", "t.txt", "--embedded", "--data-dir", "memory"],
      // The world's upstreams, so its jobs finish as fast as the suite's; its own dev token, printed at start.
      { cwd: dir, env: { ...suite.world().env } }
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^Starting the embedded Scribe service \(data: in memory, gone on exit\)…\n/)
    const url = /The embedded Scribe service is up at (http:\/\/127\.0\.0\.1:\d+)\n/.exec(result.stderr)?.[1]
    expect(url).toBeDefined()
    expect(result.stdout).toContain("Done: 3 completed, 0 failed (of 3).")
    expect(readdirSync(join(dir, "emails"))).toHaveLength(3)
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  })

  it("the package's bin runs the sources under tsx", async () => {
    const result = await runCli(["--version"], { entry: bin })
    expect({ ...result, stdout: result.stdout.trim() }).toEqual({ code: 0, stdout: "0.1.0", stderr: "" })
  })
})

const sessions: Array<ReturnType<typeof makeTmux>> = []
afterAll(() => {
  for (const session of sessions) session.kill()
})

/** `scribe <args…> --url <service>` in a 120×40 tmux terminal, as the user of `token`, in `cwd`. */
const inTerminal = async (name: string, token: string, cwd: string, args: ReadonlyArray<string>) => {
  const tmux = makeTmux(name)
  sessions.push(tmux)
  const command = [process.execPath, await cliBundle(), ...args, "--url", suite.service().url]
    .map((part) => `'${part}'`)
    .join(" ")
  tmux.start(`cd '${cwd}' && ${command}`, { SCRIBE_TOKEN: token, TERM: "xterm-256color" })
  return tmux
}

const frameLines = (screen: string) =>
  screen.split("\n").filter((line) => /^Batch 1\/1 \(rows 2–\d\)\s+[█░]/.test(line))

// In CI a missing tmux fails these tests rather than skipping them.
describe
  .runIf(hasTmux() || process.env.CI === "true")
  .concurrent("scribe in a terminal (tmux)", { timeout: 90_000 }, () => {
    it("batch: one bar and a line per item, redrawn in place every 2 s; the final frame stays", async () => {
      const token = await suite.newUser()
      const dir = tempDir()
      const release = suite.hold("Held")
      writeIn(
        dir,
        "profs.csv",
        "name,interest\nGrace Hopper,compilers\nAlan Turing,computability\nHeld Liskov,data abstraction\n"
      )
      writeIn(dir, "t.txt", template)
      const tmux = await inTerminal("live", token, dir, ["batch", "profs.csv", "--template", "t.txt"])

      const midway = await tmux.waitFor("two of three done", (screen) => screen.includes("2/3  ✓ 2  ✗ 0"))
      expect(midway).toContain("Batch 1/1 (rows 2–4): submitted, 3 jobs")
      expect(frameLines(midway)).toHaveLength(1)
      expect(frameLines(midway)[0]).toMatch(/^Batch 1\/1 \(rows 2–4\) █{20}░{10} 2\/3 {2}✓ 2 {2}✗ 0$/)
      expect(midway).toMatch(/\n {2}row 2 {2}Grace Hopper {2}completed\n/)
      expect(midway).toMatch(/\n {2}row 3 {2}Alan Turing {3}completed\n/)
      expect(midway).toMatch(/\n {2}row 4 {2}Held Liskov {3}processing( \(\w+\))?\n/)
      expect(midway).toContain("Refreshed every 2 s · Ctrl-C stops watching (the jobs go on on the server)")

      release()
      const end = await tmux.waitFor("the exit", (screen) => screen.includes("EXIT="))
      expect(end).toContain("EXIT=0")
      // Redrawn in place: still one frame, now final and without its footer.
      expect(frameLines(end)).toEqual(["Batch 1/1 (rows 2–4) ██████████████████████████████ 3/3  ✓ 3  ✗ 0"])
      expect(end).toMatch(/\n {2}row 4 {2}Held Liskov {3}completed\n/)
      expect(end).not.toContain("Refreshed every 2 s")
      expect(end).toContain("Done: 3 completed, 0 failed (of 3).\nWrote 3 emails to emails/\nEXIT=0")
      expect(readdirSync(join(dir, "emails"))).toHaveLength(3)
    })

    it("batch --cancel-on-exit: Ctrl-C cancels the pending jobs and says so; exit 130", async () => {
      const token = await suite.newUser()
      const dir = tempDir()
      const release = suite.hold("Frozen")
      const names = ["Frozen Ada", "Frozen Alan", "Frozen Grace", "Frozen Edsger", "Frozen Barbara", "Frozen Frances"]
      writeIn(dir, "profs.csv", `name,interest\n${names.map((name) => `${name},computing`).join("\n")}\n`)
      writeIn(dir, "t.txt", template)
      try {
        const tmux = await inTerminal("cancel", token, dir, [
          "batch",
          "profs.csv",
          "--template",
          "t.txt",
          "--cancel-on-exit"
        ])
        const running = await tmux.waitFor("jobs waiting in line", (screen) => /pending \(#\d+ in line\)/.test(screen))
        expect(running).toContain("Refreshed every 2 s · Ctrl-C cancels the pending jobs and stops")
        expect(frameLines(running)[0]).toMatch(/ 0\/6 {2}✓ 0 {2}✗ 0$/)
        tmux.sendKeys("C-c")
        const end = await tmux.waitFor("the exit", (screen) => screen.includes("EXIT="))
        expect(end).toContain("EXIT=130")
        const cancelled = Number(/Stopped\. Cancelled (\d) pending jobs?[.;]/.exec(end)?.[1])
        expect(cancelled).toBeGreaterThan(0)
        // What is left on the server: the jobs that had started, none pending.
        const queue = await queueOf(suite.service().url, token)
        expect(queue).toHaveLength(names.length - cancelled)
        expect(queue.filter((item) => item.status === "pending")).toEqual([])
      } finally {
        release()
      }
    })
  })
