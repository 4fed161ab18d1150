import { createScribeClient, type ScribePromiseClient } from "@scribe/client/PromiseClient"
import { createContext, type ReactNode, useContext, useState } from "react"
import { useAuth } from "../auth/Auth"
import { type ContractClient, makeContractClient } from "./Contract"

export interface Scribe {
  /** Every route the Promise facade covers: generation, polling, emails, batch, queue. */
  readonly client: ScribePromiseClient
  /** The contract's other routes (usage; profile, templates and admin once the contract has them). */
  readonly contract: ContractClient
}

const ScribeContext = createContext<Scribe | null>(null)

export const useScribe = (): Scribe => {
  const scribe = useContext(ScribeContext)
  if (scribe === null) throw new Error("useScribe outside <ScribeProvider>")
  return scribe
}

/**
 * The clients for this page's origin, sending the signed-in user's current token with every request. Made once and
 * kept for the page's life: `getToken` reads the current session each time, so a new sign-in needs no new client.
 */
export const ScribeProvider = ({ children }: { readonly children: ReactNode }) => {
  const { getToken } = useAuth()
  const [scribe] = useState<Scribe>(() => ({
    client: createScribeClient({ baseUrl: window.location.origin, getToken, retry: { times: 2 } }),
    contract: makeContractClient(getToken)
  }))
  return <ScribeContext.Provider value={scribe}>{children}</ScribeContext.Provider>
}

/** Test seam: components under test get a client over a scripted `fetch`. */
export const ScribeTestProvider = ({ scribe, children }: { readonly scribe: Scribe; readonly children: ReactNode }) => (
  <ScribeContext.Provider value={scribe}>{children}</ScribeContext.Provider>
)
