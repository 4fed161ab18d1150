import { useQueryClient } from "@tanstack/react-query"
import { useEffect, useRef } from "react"
import { isUnauthenticated } from "../lib/Errors"
import { useAuth } from "./Auth"

/**
 * Ends the session when the service refuses its token (expired, revoked, or a dev secret that changed), and forgets
 * every cached answer when the user changes, so one user's data never shows to the next.
 */
export const SessionGuard = () => {
  const auth = useAuth()
  const queryClient = useQueryClient()
  const user = auth.state.status === "signedIn" ? auth.state.userId : null
  const last = useRef(user)
  useEffect(() => {
    if (last.current !== user) queryClient.clear()
    last.current = user
  }, [user, queryClient])
  const { signOut } = auth
  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type === "updated" && event.action.type === "error" && isUnauthenticated(event.action.error)) {
          void signOut()
        }
      }),
    [queryClient, signOut]
  )
  return null
}
