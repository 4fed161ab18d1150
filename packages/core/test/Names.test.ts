import { describe, expect, it } from "@effect/vitest"
import {
  firstName,
  isSameAuthor,
  lastName,
  normaliseText,
  parsePersonName,
  stripTitles,
  withoutTitles
} from "@scribe/core/pipeline/Names"

describe("stripTitles", () => {
  it.each([
    ["Dr. Ada Lovelace", "Ada Lovelace"],
    ["Prof. Dr. Ada Lovelace", "Ada Lovelace"],
    ["Professor Ada Lovelace", "Ada Lovelace"],
    ["Associate Professor Ada Lovelace", "Ada Lovelace"],
    ["prof ada lovelace", "ada lovelace"],
    ["Ada Lovelace, PhD", "Ada Lovelace"],
    ["Ada Lovelace Ph.D.", "Ada Lovelace"],
    ['Dr "Ada" Lovelace', "Ada Lovelace"],
    ["Drew Smith", "Drew Smith"],
    ["Msomi Dlamini", "Msomi Dlamini"],
    ["Professor", "Professor"]
  ])("%s → %s", (input, expected) => {
    expect(stripTitles(input)).toBe(expected)
  })
})

describe("degrees that are also names", () => {
  it.each([
    ["Wei Ma", "Wei Ma"],
    ["wei ma", "wei ma"],
    ["Dr. Wei Ma", "Wei Ma"],
    ["Prof. Wei Ma, PhD", "Wei Ma"],
    ["Yu Md", "Yu Md"],
    ["Jane Doe, MA", "Jane Doe"],
    ["Jane Doe, ma", "Jane Doe"],
    ["Jane Doe, M.A.", "Jane Doe"],
    ["Jane Doe M.A.", "Jane Doe"],
    ["Jane Doe m.a.", "Jane Doe"],
    ["Jane Doe MA", "Jane Doe"],
    ["John Roe MD", "John Roe"],
    ["John Roe, M.D.", "John Roe"]
  ])("%s → %s", (input, expected) => {
    expect(stripTitles(input)).toBe(expected)
  })

  it("keeps a family name Ma or Md for author matching", () => {
    expect(parsePersonName("Dr. Wei Ma")).toEqual({ given: ["wei"], family: "ma" })
    expect(isSameAuthor("Dr. Wei Ma", "W. Ma")).toBe(true)
    expect(isSameAuthor("Wei Ma", "Wei Li")).toBe(false)
  })
})

describe("withoutTitles", () => {
  it("leaves nothing of a name that is only titles, where stripTitles keeps it as written", () => {
    expect(withoutTitles("Prof.")).toBe("")
    expect(withoutTitles("Professor")).toBe("")
    expect(withoutTitles(' "" ')).toBe("")
    expect(stripTitles("Prof.")).toBe("Prof.")
    expect(withoutTitles("Prof. Dr. Ada Lovelace, PhD")).toBe("Ada Lovelace")
  })
})

describe("parsePersonName", () => {
  it("reads first, middle and last names, initials and the comma form", () => {
    expect(parsePersonName("Ada M. Lovelace")).toEqual({ given: ["ada", "m"], family: "lovelace" })
    expect(parsePersonName("Lovelace, Ada")).toEqual({ given: ["ada"], family: "lovelace" })
    expect(parsePersonName("JP Sartre")).toEqual({ given: ["j", "p"], family: "sartre" })
    expect(parsePersonName("Jean-Pierre Sartre")).toEqual({ given: ["jean", "pierre"], family: "sartre" })
    expect(parsePersonName("Ludwig van Beethoven")).toEqual({ given: ["ludwig"], family: "vanbeethoven" })
    expect(parsePersonName("Wei LI")).toEqual({ given: ["wei"], family: "li" })
    expect(parsePersonName("Martin Luther King Jr.")).toEqual({ given: ["martin", "luther"], family: "king" })
  })

  it("folds accents and letters that do not decompose", () => {
    expect(normaliseText("José Müller-Łukasiewicz, Øre")).toBe("jose muller lukasiewicz ore")
    expect(parsePersonName("Zoë Ørsted").family).toBe("orsted")
  })
})

describe("isSameAuthor", () => {
  const ada = "Prof. Ada Lovelace"
  it.each([
    "Ada Lovelace",
    "A. Lovelace",
    "A Lovelace",
    "Ada M. Lovelace",
    "Ada Mary Lovelace",
    "Lovelace, Ada",
    "Lovelace, A.",
    "ADA LOVELACE",
    "Ada Lovelace-"
  ])("%s is Ada Lovelace", (author) => {
    expect(isSameAuthor(ada, author)).toBe(true)
  })

  it.each(["Alan Lovelace", "B. Lovelace", "Lovelace, Alan", "Ada Byron", "Ada Lovelock", "Adam Lovelace"])(
    "%s is a different person",
    (author) => {
      expect(isSameAuthor(ada, author)).toBe(false)
    }
  )

  it("matches accents, case and punctuation loosely", () => {
    expect(isSameAuthor("Dr. José García", "Jose Garcia")).toBe(true)
    expect(isSameAuthor("Jose Garcia", "J. García")).toBe(true)
    expect(isSameAuthor("Jean-Pierre Sartre", "J.-P. Sartre")).toBe(true)
    expect(isSameAuthor("Jean-Pierre Sartre", "JP Sartre")).toBe(true)
    expect(isSameAuthor("Søren Kierkegaard", "Soren Kierkegaard")).toBe(true)
  })

  it("lets middle names be absent but not contradict", () => {
    expect(isSameAuthor("Ada M. Lovelace", "Ada Lovelace")).toBe(true)
    expect(isSameAuthor("Ada M. Lovelace", "Ada Mary Lovelace")).toBe(true)
    expect(isSameAuthor("Ada M. Lovelace", "Ada K. Lovelace")).toBe(false)
    expect(isSameAuthor("Jean-Pierre Sartre", "Jean-Paul Sartre")).toBe(false)
  })

  it("never verifies a recipient known only by surname", () => {
    expect(isSameAuthor("Prof. Lovelace", "Ada Lovelace")).toBe(false)
  })

  it("keeps particles and compound surnames whole", () => {
    expect(isSameAuthor("Ludwig van Beethoven", "L. van Beethoven")).toBe(true)
    expect(isSameAuthor("Ludwig van Beethoven", "van Beethoven, Ludwig")).toBe(true)
    expect(isSameAuthor("Ludwig van Beethoven", "Ludwig Beethoven")).toBe(false)
  })
})

describe("first and last names", () => {
  it("come from the name as written, titles stripped", () => {
    expect(firstName("Dr. Ada Lovelace")).toBe("Ada")
    expect(lastName("Dr. Ada Lovelace")).toBe("Lovelace")
    expect(lastName("Ludwig van Beethoven")).toBe("van Beethoven")
    expect(firstName("Lovelace, Ada")).toBe("Ada")
    expect(lastName("Lovelace, Ada")).toBe("Lovelace")
  })
})
