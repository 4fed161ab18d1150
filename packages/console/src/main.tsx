import { QueryClient, QueryClientProvider } from "@tanstack/react-query"
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { App } from "./App"
import { fetchConsoleConfig } from "./api/ConsoleConfig"
import { ScribeProvider } from "./api/Scribe"
import { AuthProvider } from "./auth/Auth"
import { SessionGuard } from "./auth/SessionGuard"
import { ErrorBox } from "./components/States"
import { isUnauthenticated } from "./lib/Errors"
import "./styles.css"

const root = createRoot(document.getElementById("root") ?? document.body)

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: (count, error) => !isUnauthenticated(error) && count < 1 }
  }
})

fetchConsoleConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <AuthProvider config={config}>
          <QueryClientProvider client={queryClient}>
            <ScribeProvider>
              <SessionGuard />
              <App />
            </ScribeProvider>
          </QueryClientProvider>
        </AuthProvider>
      </StrictMode>
    ),
  (error: unknown) =>
    root.render(
      <main className="page">
        <h1>Scribe</h1>
        <ErrorBox error={error} retry={() => window.location.reload()} />
      </main>
    )
)
