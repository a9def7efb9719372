import { useEffect, useState, type ReactNode } from 'react';
import { BrowserRouter, Link, NavLink, Route, Routes, useLocation } from 'react-router';
import { QueryClientProvider, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, getApiKey, onUnauthorized, setApiKey } from './api';
import { Field, FormActions, Modal, TextInput, cx } from './components/ui';
import { ToastProvider, useToast } from './components/toast';
import DashboardPage from './pages/DashboardPage';
import LeadsPage from './pages/LeadsPage';
import CampaignsPage from './pages/CampaignsPage';
import CampaignCreatePage from './pages/CampaignCreatePage';
import CampaignDetailPage from './pages/CampaignDetailPage';
import KeysPage from './pages/KeysPage';
import InboxPage from './pages/InboxPage';
import OptOutsPage from './pages/OptOutsPage';
import SendersPage from './pages/SendersPage';
import { useIsAdmin } from './lib/useMe';

interface NavItem {
  to: string;
  label: string;
  end: boolean;
  icon: string;
  /** Shown only to admin keys (GET /api/keys/me). */
  admin?: boolean;
}

const NAV: NavItem[] = [
  { to: '/', label: 'Dashboard', end: true, icon: 'M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z' },
  { to: '/campaigns', label: 'Campaigns', end: false, icon: 'M4 4h16v12H5.17L4 17.17V4zm0-2a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2H4z' },
  { to: '/inbox', label: 'Inbox', end: false, icon: 'M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2zm0 12h-4a3 3 0 0 1-6 0H5V5h14v10z' },
  { to: '/leads', label: 'Leads', end: false, icon: 'M16 11a4 4 0 1 0-4-4 4 4 0 0 0 4 4zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm0 2c-2.33 0-7 1.17-7 3.5V19h7v-2.5c0-.85.33-2.34 2.37-3.47A12 12 0 0 0 8 13zm8 0c-.29 0-.62.02-.97.05A4.2 4.2 0 0 1 17 16.5V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z' },
  { to: '/opt-outs', label: 'Opt-outs', end: false, icon: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM4 12a8 8 0 0 1 12.9-6.31L5.69 16.9A7.95 7.95 0 0 1 4 12zm8 8a7.95 7.95 0 0 1-4.9-1.69L18.31 7.1A8 8 0 0 1 12 20z' },
  { to: '/senders', label: 'Senders', end: false, icon: 'M6.62 10.79a15.05 15.05 0 0 0 6.59 6.59l2.2-2.2a1 1 0 0 1 1.02-.24c1.12.37 2.33.57 3.57.57a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1.02l-2.2 2.2z' },
  { to: '/keys', label: 'API keys', end: false, admin: true, icon: 'M12.65 10A6 6 0 0 0 7 6a6 6 0 1 0 5.65 8H17v4h4v-4h2v-4H12.65zM7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4z' },
];

function HealthIndicator() {
  const q = useQuery({ queryKey: ['health'], queryFn: ({ signal }) => api.health(signal), refetchInterval: 30_000, retry: false });
  let tone = 'bg-slate-300';
  let text = 'Checking API…';
  if (q.data) {
    const dbOk = !q.data.database || q.data.database === 'ok';
    tone = dbOk ? 'bg-emerald-500' : 'bg-amber-500';
    text = dbOk ? 'API online' : `Database: ${q.data.database}`;
  } else if (q.error) {
    tone = 'bg-red-500';
    text = q.error instanceof ApiError && q.error.status === 503 ? 'Database unreachable' : q.error instanceof ApiError && q.error.status === 401 ? 'API key needed' : 'API unreachable';
  }
  return (
    <p className="flex items-center gap-2 text-xs text-slate-400" role="status" aria-live="polite" data-testid="health">
      <span className={cx('h-2 w-2 rounded-full', tone)} aria-hidden="true" />
      {text}
    </p>
  );
}

function ApiKeyPrompt({ queryClient }: { queryClient: QueryClient }) {
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState('');
  const [rejected, setRejected] = useState(false);
  useEffect(
    () =>
      onUnauthorized(() => {
        setRejected(!!getApiKey());
        setOpen(true);
      }),
    [],
  );
  if (!open) return null;
  const save = (e: React.FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    setApiKey(key.trim());
    setKey('');
    setOpen(false);
    void queryClient.invalidateQueries();
  };
  return (
    <Modal
      title="API key required"
      description={
        <>
          This smscamp server asks for an API key. The first admin key was printed by <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">make run</code> and is kept in{' '}
          <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">var/admin.key</code> on the server. It is kept for this browser tab only (session storage).
        </>
      }
      onClose={() => setOpen(false)}
      size="sm"
    >
      <form onSubmit={save} className="space-y-4">
        <Field label="API key" required error={rejected ? 'The saved key was refused; enter another one.' : undefined}>
          {({ id, describedBy, invalid }) => (
            <TextInput
              id={id}
              type="password"
              autoComplete="off"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              aria-describedby={describedBy}
              invalid={invalid}
              data-autofocus
            />
          )}
        </Field>
        <FormActions onCancel={() => setOpen(false)} submitLabel="Save key" disabled={!key.trim()} />
      </form>
    </Modal>
  );
}

function ForgetKey() {
  const qc = useQueryClient();
  const toast = useToast();
  const [has, setHas] = useState(!!getApiKey());
  useEffect(() => {
    const t = setInterval(() => setHas(!!getApiKey()), 2000);
    return () => clearInterval(t);
  }, []);
  if (!has) return null;
  return (
    <button
      type="button"
      className="text-xs text-slate-400 underline-offset-2 hover:text-white hover:underline"
      onClick={() => {
        setApiKey(null);
        setHas(false);
        toast('API key forgotten for this tab', 'info');
        void qc.invalidateQueries();
      }}
    >
      Forget API key
    </button>
  );
}

/** The API reference (Swagger UI over openapi/openapi.yaml), served by nginx, not by this app. */
function ApiDocsLink() {
  return (
    <a href="/api/docs/" className="block text-xs text-slate-400 underline-offset-2 hover:text-white hover:underline">
      API docs
    </a>
  );
}

function Brand() {
  return (
    <Link to="/" className="flex items-center gap-2 rounded-md text-white">
      <img src="/favicon.svg" alt="" className="h-7 w-7" width={28} height={28} />
      <span className="text-lg font-semibold tracking-tight">
        sms<span className="text-indigo-300">camp</span>
      </span>
    </Link>
  );
}

function NavItems({ onNavigate }: { onNavigate?: () => void }) {
  const isAdmin = useIsAdmin();
  return (
    <ul className="space-y-1">
      {NAV.filter((n) => !n.admin || isAdmin).map((n) => (
        <li key={n.to}>
          <NavLink
            to={n.to}
            end={n.end}
            onClick={onNavigate}
            className={({ isActive }) =>
              cx(
                'flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium transition-colors',
                isActive ? 'bg-white/10 text-white' : 'text-slate-300 hover:bg-white/5 hover:text-white',
              )
            }
          >
            <svg className="h-5 w-5 shrink-0" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
              <path d={n.icon} />
            </svg>
            {n.label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setMenuOpen(false), [location.pathname]);
  return (
    <div className="min-h-screen lg:grid lg:grid-cols-[15rem_minmax(0,1fr)]">
      <a href="#main" className="sr-only-focusable rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white">
        Skip to content
      </a>
      {/* desktop sidebar */}
      <aside className="hidden bg-slate-900 lg:block" aria-label="Sidebar">
        <div className="sticky top-0 flex h-screen flex-col px-4 py-5">
          <Brand />
          <nav className="mt-8 flex-1" aria-label="Main">
            <NavItems />
          </nav>
          <div className="space-y-2 border-t border-white/10 pt-4">
            <HealthIndicator />
            <ApiDocsLink />
            <ForgetKey />
          </div>
        </div>
      </aside>
      {/* phone / tablet top bar */}
      <header className="sticky top-0 z-30 bg-slate-900 lg:hidden">
        <div className="flex items-center justify-between px-4 py-3">
          <Brand />
          <button
            type="button"
            className="rounded-md p-2 text-slate-300 hover:bg-white/10 hover:text-white"
            aria-expanded={menuOpen}
            aria-controls="mobile-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            <span className="sr-only">{menuOpen ? 'Close menu' : 'Open menu'}</span>
            <svg className="h-6 w-6" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
              {menuOpen ? <path d="M6 6l12 12M18 6 6 18" strokeLinecap="round" /> : <path d="M4 6h16M4 12h16M4 18h16" strokeLinecap="round" />}
            </svg>
          </button>
        </div>
        {menuOpen && (
          <nav id="mobile-nav" className="border-t border-white/10 px-4 pb-4 pt-2" aria-label="Main">
            <NavItems onNavigate={() => setMenuOpen(false)} />
            <div className="mt-3 space-y-2 border-t border-white/10 pt-3">
              <HealthIndicator />
              <ApiDocsLink />
              <ForgetKey />
            </div>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full min-w-0 max-w-7xl px-4 py-6 focus:outline-none sm:px-6 lg:col-start-2 lg:row-start-1 lg:px-8 lg:py-8">
        {children}
      </main>
    </div>
  );
}

function NotFoundPage() {
  return (
    <div className="py-20 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-2xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-sm text-slate-500">There is nothing at this address.</p>
      <Link to="/" className="mt-6 inline-block text-sm font-medium text-indigo-600 hover:underline">
        Back to the dashboard
      </Link>
    </div>
  );
}

function useDocumentTitle() {
  const { pathname } = useLocation();
  useEffect(() => {
    const page =
      pathname === '/'
        ? 'Dashboard'
        : pathname.startsWith('/campaigns')
          ? 'Campaigns'
          : pathname.startsWith('/leads')
            ? 'Leads'
            : pathname.startsWith('/inbox')
              ? 'Inbox'
            : pathname.startsWith('/opt-outs')
              ? 'Opt-outs'
            : pathname.startsWith('/senders')
              ? 'Senders'
            : pathname.startsWith('/keys')
              ? 'API keys'
              : 'Not found';
    document.title = `${page} · smscamp`;
  }, [pathname]);
}

export function AppRoutes() {
  useDocumentTitle();
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/leads" element={<LeadsPage />} />
        <Route path="/inbox" element={<InboxPage />} />
        <Route path="/opt-outs" element={<OptOutsPage />} />
        <Route path="/senders" element={<SendersPage />} />
        <Route path="/campaigns" element={<CampaignsPage />} />
        <Route path="/campaigns/new" element={<CampaignCreatePage />} />
        <Route path="/campaigns/:id" element={<CampaignDetailPage />} />
        <Route path="/keys" element={<KeysPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Shell>
  );
}

export default function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
        <ApiKeyPrompt queryClient={queryClient} />
      </ToastProvider>
    </QueryClientProvider>
  );
}
