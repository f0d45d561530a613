/** The shell: login gate, header, and the page for the current location. */
import { LiveEventsProvider } from './lib/event-stream.js';
import { Link, matchRoute, paths, useLocation } from './lib/router.js';
import { SessionProvider, useSession } from './lib/session.js';
import { CompliancePage } from './pages/compliance.page.js';
import { AlertsPage } from './pages/alerts.page.js';
import { ChangePage } from './pages/change.page.js';
import { ChangesPage } from './pages/changes.page.js';
import { TemplatesPage } from './pages/templates.page.js';
import { DashboardPage } from './pages/dashboard.page.js';
import { DevicePage } from './pages/device.page.js';
import { DriftPage } from './pages/drift.page.js';
import { FilePage } from './pages/file.page.js';
import { GraphPage } from './pages/graph.page.js';
import { LoginPage } from './pages/login.page.js';

function CurrentPage() {
  const { pathname, query } = useLocation();
  const route = matchRoute(pathname, query);
  switch (route.page) {
    case 'dashboard':
      return <DashboardPage />;
    case 'device':
      return <DevicePage key={route.device} device={route.device} />;
    case 'file':
      return <FilePage key={`${route.device}\0${route.path}`} device={route.device} path={route.path} line={route.line} />;
    case 'drift':
      return <DriftPage device={route.device} />;
    case 'graph':
      return <GraphPage device={route.device} />;
    case 'compliance':
      return <CompliancePage device={route.device} />;
    case 'alerts':
      return <AlertsPage />;
    case 'changes':
      return <ChangesPage />;
    case 'change':
      return <ChangePage key={route.id} id={route.id} />;
    case 'templates':
      return <TemplatesPage />;
    case 'not-found':
      return (
        <p className="notice">
          Nothing here. <Link href={paths.dashboard()}>Back to the dashboard</Link>
        </p>
      );
  }
}

function Shell() {
  const session = useSession();
  return (
    <LiveEventsProvider>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href={paths.dashboard()} className="brand">
          confwatch
        </Link>
        <Link href={paths.changes()}>Changes</Link>
        <Link href={paths.alerts()}>Alerts</Link>
        <Link href={paths.templates()}>Templates</Link>
        {session.can('secrets:view') && (
          // a plain download: the session cookie authorises the GET, and the archive streams to disk
          <a href="/api/export?history=true" download title="Every device's files and history as a gzip'd tar; it holds secrets">
            Export
          </a>
        )}
        <span className="whoami">
          {session.me?.user} <span className="muted">({session.me?.role})</span>
        </span>
        <button type="button" onClick={() => session.logout()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <CurrentPage />
      </main>
    </LiveEventsProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      {(state) => (state === 'checking' ? <p className="muted centered">Loading…</p> : state === 'anonymous' ? <LoginPage /> : <Shell />)}
    </SessionProvider>
  );
}
