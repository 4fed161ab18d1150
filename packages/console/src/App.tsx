import { useQuery } from "@tanstack/react-query"
import { lazy, type ReactNode, Suspense, useEffect, useRef, useState } from "react"
import { Link, Route, Switch, useLocation } from "wouter"
import { useScribe } from "./api/Scribe"
import { useAuth } from "./auth/Auth"
import { Empty, Loading } from "./components/States"
import { features } from "./lib/Features"
import { BatchPage } from "./pages/BatchPage"
import { ComposePage } from "./pages/ComposePage"
import { EmailPage } from "./pages/EmailPage"
import { HistoryPage } from "./pages/HistoryPage"
import { QueuePage } from "./pages/QueuePage"
import { SignInPage } from "./pages/SignInPage"
import { TaskPage } from "./pages/TaskPage"
import { TemplatePage } from "./pages/TemplatePage"
import { UsagePage } from "./pages/UsagePage"

const AdminPage = lazy(() => import("./admin/AdminPage"))

/** The main navigation's sections, in order (the operators' view is added for operators). */
const sections = [
  ["/", "Write"],
  ["/batch", "Import"],
  ["/queue", "Queue"],
  ["/history", "Emails"],
  ["/template", "Template"],
  ["/usage", "Usage"]
] as const

const NavLink = ({
  href,
  children,
  onClick
}: {
  readonly href: string
  readonly children: ReactNode
  readonly onClick: () => void
}) => {
  const [location] = useLocation()
  const current = href === "/" ? location === "/" : location.startsWith(href)
  return (
    <Link
      href={href}
      className={current ? "active" : undefined}
      aria-current={current ? "page" : undefined}
      onClick={onClick}
    >
      {children}
    </Link>
  )
}

/** Whether the signed-in user may see the operators' view: the service says so (200 rather than 403). */
const useIsOperator = () => {
  const { contract } = useScribe()
  const auth = useAuth()
  return useQuery({
    queryKey: ["is-operator", auth.state.status === "signedIn" ? auth.state.userId : null],
    queryFn: () =>
      contract.call("GET", "/api/admin/overview").then(
        () => true,
        () => false
      ),
    enabled: features.admin,
    staleTime: 5 * 60_000,
    retry: false
  })
}

const Shell = ({ children }: { readonly children: ReactNode }) => {
  const auth = useAuth()
  const operator = useIsOperator()
  const [open, setOpen] = useState(false)
  const close = () => setOpen(false)
  const [location] = useLocation()
  const first = useRef(true)
  // After a navigation, focus moves to the page (as a full page load would put it), so keyboard and screen-reader
  // users start at its heading rather than in the menu they just used.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the location is the trigger, not an input
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    document.getElementById("main")?.focus()
  }, [location])
  const who = auth.state.status === "signedIn" ? (auth.state.email ?? auth.state.userId) : ""
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" onClick={close}>
          <span className="logo" aria-hidden="true">
            ✎
          </span>{" "}
          Scribe
        </Link>
        <button
          type="button"
          className="menu-button"
          aria-expanded={open}
          aria-controls="nav"
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="nav" className={open ? "open" : undefined} aria-label="Main">
          {sections.map(([href, label]) => (
            <NavLink key={href} href={href} onClick={close}>
              {label}
            </NavLink>
          ))}
          {operator.data === true && (
            <NavLink href="/admin" onClick={close}>
              Operators
            </NavLink>
          )}
          <span className="who" title={who}>
            {who}
          </span>
          <button type="button" className="secondary small-button" onClick={() => void auth.signOut()}>
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  )
}

export const App = () => {
  const auth = useAuth()
  if (auth.state.status === "loading") return <Loading label="Starting…" />
  if (auth.state.status === "signedOut") return <SignInPage />
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/">
            <ComposePage />
          </Route>
          <Route path="/template">
            <TemplatePage />
          </Route>
          <Route path="/batch">
            <BatchPage />
          </Route>
          <Route path="/queue">
            <QueuePage />
          </Route>
          <Route path="/history">
            <HistoryPage />
          </Route>
          <Route path="/usage">
            <UsagePage />
          </Route>
          <Route path="/tasks/:id">{(params) => <TaskPage taskId={params.id} />}</Route>
          <Route path="/emails/:id">{(params) => <EmailPage emailId={params.id} />}</Route>
          <Route path="/admin" nest>
            <AdminPage />
          </Route>
          <Route>
            <Empty title="No such page">
              <p>
                <Link href="/">Back to writing</Link>
              </p>
            </Empty>
          </Route>
        </Switch>
      </Suspense>
    </Shell>
  )
}
