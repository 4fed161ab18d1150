/** A bad input of `scribe batch`: the file written, its content, the other arguments, what the error must say. */
export type BadFile = readonly [
  file: string,
  content: string | Uint8Array,
  args: ReadonlyArray<string>,
  message: RegExp
]

/** Every way a file or template is refused before anything is sent (`good` is a valid CSV). */
export const badFiles = (good: string): ReadonlyArray<BadFile> => [
  [
    "columns.csv",
    "Prof,Field\nGrace Hopper,compilers\n",
    [],
    /columns\.csv has no name column: looked for a header named name, recipient_name, professor.*its headers are "Prof", "Field"/
  ],
  [
    "ambiguous.csv",
    "Name,Professor,Interest\nA1,Grace Hopper,compilers\n",
    [],
    /several name columns \("Name", "Professor"\)/
  ],
  ["blank.csv", "name,interest\nGrace Hopper,compilers\n,\nAlan Turing,computability\n", [], /row 3 is empty/],
  ["cell.csv", "name,interest\nGrace Hopper,\n", [], /row 2, column "interest": the interest is empty/],
  [
    "long.csv",
    `name,interest\n${"x".repeat(256)},compilers\nAda,${"y".repeat(501)}\n`,
    [],
    /long\.csv: 2 problems, nothing was submitted:\n {2}row 2, column "name": the name is too long \(256 characters; at most 255\)\n {2}row 3, column "interest": the interest is too long \(501 characters; at most 500\)/
  ],
  [
    "short.csv",
    "name,interest\nG,compilers\n",
    [],
    /row 2, column "name": the name is too short \(1 character; at least 2\)/
  ],
  // Lengths are counted in code points, as the contract counts them: 256 emoji are 256 characters, not 512.
  [
    "emoji.csv",
    `name,interest\n${"\u{1F600}".repeat(256)},compilers\n`,
    [],
    /row 2, column "name": the name is too long \(256 characters; at most 255\)/
  ],
  [
    "latin1.csv",
    Buffer.from("name,interest\nGrace Hopper,compilers\nJos\u00e9 Garc\u00eda,algebra\n", "latin1"),
    [],
    /latin1\.csv: line 3 is not valid UTF-8/
  ],
  ["utf16.csv", Buffer.from(`\ufeff${good}`, "utf16le"), [], /utf16\.csv is UTF-16 text; save it as UTF-8/],
  ["header.csv", "name,interest\n", [], /header\.csv has a header row but no recipients/],
  [
    "huge.csv",
    `name,interest\n${"Grace Hopper,compilers\n".repeat(1001)}`,
    [],
    /huge\.csv has 1001 rows; at most 1000/
  ],
  ["ok.csv", good, ["--template", "short.txt"], /The template short\.txt is too short \(8 characters; at least 10\)/],
  ["ok.csv", good, ["--template", "plain.txt"], /The template plain\.txt has no placeholder/],
  ["ok.csv", good, ["--name-column", "Nom"], /ok\.csv has no column "Nom" \(--name-column\)/],
  ["profs.xls", "whatever", [], /the old \.xls format is not read/]
]
