import type { ReactNode } from "react"

/** A table of `items`, a row each: `columns` head the columns, `cells` gives an item's cells in their order. */
export const DataTable = <A,>({
  columns,
  items,
  rowKey,
  cells
}: {
  readonly columns: ReadonlyArray<string>
  readonly items: ReadonlyArray<A>
  readonly rowKey: (item: A) => string
  readonly cells: (item: A) => ReactNode
}) => (
  <div className="table-wrap">
    <table>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={rowKey(item)}>{cells(item)}</tr>
        ))}
      </tbody>
    </table>
  </div>
)
