import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import KeysPage, { keyState } from '../pages/KeysPage';
import App from '../App';
import { makeQueryClient } from '../lib/queryClient';
import { mockApi, page, renderWithProviders } from './helpers';

const NEW_KEY = 'smc_' + 'ab12'.repeat(16);
const hourFromNow = () => new Date(Date.now() + 3600e3).toISOString();

const key = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: `Key ${id}`,
  role: 'viewer',
  key_prefix: `smc_${String(id).padStart(8, '0')}`,
  created_at: '2026-01-01T10:00:00+00:00',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  active: true,
  rate_limit: null,
  ...over,
});

const me = (over: Record<string, unknown> = {}) => ({
  id: 1, name: 'Key 1', role: 'admin', key_prefix: 'smc_00000001', expires_at: null, revoked_at: null, auth: true, ...over,
});

function keysServer(meBody = me()) {
  return mockApi((c) => {
    if (c.url === '/api/keys/me') return { status: 200, json: meBody };
    if (c.method === 'GET' && c.url.startsWith('/api/keys'))
      return {
        status: 200,
        json: page([
          key(1, { role: 'admin', name: 'admin (first key, made by make run)' }),
          key(2, { role: 'operator', revoked_at: hourFromNow() }),
          key(3, { revoked_at: '2026-01-02T10:00:00+00:00', active: false }),
          key(4, { rate_limit: 500 }),
        ]),
      };
    if (c.method === 'POST' && c.url === '/api/keys') {
      const b = JSON.parse(c.body!);
      return { status: 201, json: { ...key(9, { name: b.name, role: b.role, rate_limit: b.rate_limit }), key: NEW_KEY } };
    }
    if (c.method === 'DELETE' && c.url.startsWith('/api/keys/')) return { status: 204 };
    return undefined;
  });
}

describe('key states', () => {
  it('tells active, revoking, revoked and expired apart', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(keyState({ revoked_at: null, expires_at: null }, now)).toBe('active');
    expect(keyState({ revoked_at: '2026-06-01T01:00:00Z', expires_at: null }, now)).toBe('revoking');
    expect(keyState({ revoked_at: '2026-05-01T00:00:00Z', expires_at: null }, now)).toBe('revoked');
    expect(keyState({ revoked_at: null, expires_at: '2026-05-01T00:00:00Z' }, now)).toBe('expired');
  });
});

describe('Keys page', () => {
  it('lists the keys with their role, prefix and status, and marks this browser\'s key', async () => {
    keysServer();
    renderWithProviders(<KeysPage />, { route: '/keys' });
    const table = await screen.findByTestId('keys-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toHaveTextContent('this browser');
    expect(rows[0]).toHaveTextContent('smc_00000001…');
    expect(within(rows[1]).getAllByText('Revoking').length).toBeGreaterThan(0);
    expect(within(rows[2]).getAllByText('Revoked').length).toBeGreaterThan(0);
    expect(within(rows[2]).queryByRole('button')).toBeNull(); // nothing left to revoke
    expect(rows[3]).toHaveTextContent('500 requests/s');
  });

  it('creates a key and shows it once, with a warning and a copy button', async () => {
    const { calls } = keysServer();
    renderWithProviders(<KeysPage />, { route: '/keys' });
    await screen.findByTestId('keys-table');
    const form = screen.getByRole('form', { name: 'New API key' });
    await userEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    expect(within(form).getByLabelText(/^Name/)).toHaveAccessibleDescription(/Give the key a name/);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    await userEvent.type(within(form).getByLabelText(/^Name/), 'CRM sync');
    await userEvent.selectOptions(within(form).getByLabelText('Role'), 'operator');
    await userEvent.type(within(form).getByLabelText(/Rate limit/), '50');
    await userEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    const shown = await screen.findByTestId('new-key');
    expect(JSON.parse(calls.find((c) => c.method === 'POST')!.body!)).toEqual({ name: 'CRM sync', role: 'operator', rate_limit: 50 });
    expect(within(shown).getByLabelText('The new API key')).toHaveValue(NEW_KEY);
    expect(shown).toHaveTextContent('This is the only time it is shown');
    expect(within(shown).getByRole('button', { name: 'Copy key' })).toBeInTheDocument();

    await userEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('new-key')).toBeNull();
    expect(screen.queryByDisplayValue(NEW_KEY)).toBeNull(); // gone for good
    expect(screen.getByRole('form', { name: 'New API key' })).toBeInTheDocument();
  });

  it('revokes a key now or after an overlap', async () => {
    const { calls } = keysServer();
    renderWithProviders(<KeysPage />, { route: '/keys' });
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke: Key 4' }));
    let dialog = screen.getByRole('dialog', { name: 'Revoke “Key 4”?' });
    expect(within(dialog).getByRole('radio', { name: 'Now' })).toBeChecked();
    await userEvent.click(within(dialog).getByRole('radio', { name: 'In 1 hour' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true));
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/keys/4?after=3600');
    expect(await screen.findByText('Key 4 stops working in 1 hour')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Revoke: admin (first key, made by make run)' }));
    dialog = screen.getByRole('dialog', { name: /Revoke/ });
    expect(dialog).toHaveTextContent('This is the key this browser uses');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(2));
    expect(calls.filter((c) => c.method === 'DELETE')[1].url).toBe('/api/keys/1?after=0');
  });

  it('tells a non-admin key that it cannot manage keys, and does not ask for them', async () => {
    const { calls } = keysServer(me({ id: 7, name: 'Dashboards', role: 'viewer' }));
    renderWithProviders(<KeysPage />, { route: '/keys' });
    expect(await screen.findByText('Only admin keys can manage API keys')).toBeInTheDocument();
    expect(screen.getByText(/a viewer key \(“Dashboards”\)/)).toBeInTheDocument();
    expect(calls.some((c) => c.url.startsWith('/api/keys?'))).toBe(false);
  });
});

describe('App: keys and the key prompt', () => {
  const app = (meBody: unknown, status = 200) => {
    mockApi((c) => {
      if (c.url === '/api/keys/me') return { status, json: meBody };
      if (c.url.startsWith('/api/dashboard/recent')) return { status: 200, json: page([]) };
      if (c.url.startsWith('/api/')) return { status: 200, json: c.url.startsWith('/api/health') ? { status: 'ok', database: 'ok' } : page([]) };
      return undefined;
    });
    window.history.pushState({}, '', '/leads');
    render(<App queryClient={makeQueryClient()} />);
  };

  it('shows the API keys link to admin keys, and the API docs link to everyone', async () => {
    app(me());
    const nav = screen.getAllByRole('navigation', { name: 'Main' })[0];
    expect(await within(nav).findByRole('link', { name: 'API keys' })).toHaveAttribute('href', '/keys');
    expect(screen.getAllByRole('link', { name: 'API docs' })[0]).toHaveAttribute('href', '/api/docs/');
    window.history.pushState({}, '', '/');
  });

  it('hides the API keys link from other keys', async () => {
    app(me({ role: 'operator' }));
    expect(await screen.findByText('No leads yet')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByRole('link', { name: 'Leads' }).length).toBeGreaterThan(0));
    expect(screen.queryByRole('link', { name: 'API keys' })).toBeNull();
    window.history.pushState({}, '', '/');
  });

  it('shows the link when the server checks no keys (auth off)', async () => {
    app(me({ id: null, name: null, key_prefix: null, auth: false }));
    expect(await screen.findAllByRole('link', { name: 'API keys' })).not.toHaveLength(0);
    window.history.pushState({}, '', '/');
  });

  it('says where the first admin key is when it asks for one', async () => {
    mockApi(() => ({ status: 401, json: { detail: 'Missing or invalid API key: send Authorization: Bearer <key>' } }));
    window.history.pushState({}, '', '/leads');
    render(<App queryClient={makeQueryClient()} />);
    const dialog = await screen.findByRole('dialog', { name: 'API key required' });
    expect(dialog).toHaveTextContent('The first admin key was printed by make run and is kept in var/admin.key on the server.');
    expect(within(dialog).getByText('var/admin.key').tagName).toBe('CODE');
    expect(screen.queryByRole('link', { name: 'API keys' })).toBeNull();
    window.history.pushState({}, '', '/');
  });
});
