import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useScribe } from "../api/Scribe"
import { useAuth } from "../auth/Auth"
import { features } from "./Features"

export const sampleTemplate = `Dear {{name}},

I am a second-year student and I have been reading your work on {{research}}. {{paper_reference}}

I would be glad to learn whether you are taking students for the coming term.

Best regards,
Sam`

interface ProfileShape {
  readonly email_template?: string | null
}

const storageKey = (userId: string) => `scribe.template.${userId}`

/**
 * The user's saved template: kept in their profile on the server when the contract has the profile routes, and in
 * this browser otherwise (per user).
 */
export const useSavedTemplate = () => {
  const { contract } = useScribe()
  const auth = useAuth()
  const userId = auth.state.status === "signedIn" ? auth.state.userId : "anonymous"
  const queryClient = useQueryClient()
  const key = ["template", userId] as const
  const query = useQuery({
    queryKey: key,
    queryFn: async (): Promise<string | null> => {
      if (features.profile) {
        const profile = await contract.call<ProfileShape>("GET", "/api/user/profile")
        return profile.email_template ?? null
      }
      return localStorage.getItem(storageKey(userId))
    },
    staleTime: 60_000
  })
  const save = useMutation({
    mutationFn: async (template: string) => {
      if (features.profile) {
        await contract.call("PATCH", "/api/user/template", { payload: { template } })
      } else localStorage.setItem(storageKey(userId), template)
      return template
    },
    onSuccess: (template) => queryClient.setQueryData(key, template)
  })
  return { query, save, where: features.profile ? ("your profile" as const) : ("this browser" as const) }
}
