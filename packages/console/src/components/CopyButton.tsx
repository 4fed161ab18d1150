import { useState } from "react"

/** Copies `text` to the clipboard and says so; falls back to a selection copy where the Clipboard API is absent. */
export const CopyButton = ({ text, label = "Copy" }: { readonly text: string; readonly label?: string }) => {
  const [done, setDone] = useState<"idle" | "copied" | "failed">("idle")
  const copy = async () => {
    try {
      if (navigator.clipboard !== undefined) await navigator.clipboard.writeText(text)
      else {
        const area = document.createElement("textarea")
        area.value = text
        document.body.append(area)
        area.select()
        document.execCommand("copy")
        area.remove()
      }
      setDone("copied")
    } catch {
      setDone("failed")
    }
    setTimeout(() => setDone("idle"), 2000)
  }
  return (
    <button type="button" className="secondary" onClick={() => void copy()} aria-live="polite">
      {done === "copied" ? "Copied" : done === "failed" ? "Copy failed" : label}
    </button>
  )
}
