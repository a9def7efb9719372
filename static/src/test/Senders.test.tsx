import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import SendersPage, { senderInput, senderValues } from '../pages/SendersPage';
import { SENDER_DEFAULT_RATES } from '../api';
import App from '../App';
import { makeQueryClient } from '../lib/queryClient';
import { fmtEta, fmtSegmentsPerSecond } from '../lib/format';
import { mockApi, renderAsUser, sender, type MockCall } from './helpers';

const SID = 'MG0123456789abcdef0123456789abcdef';
const SENDERS = [
  sender(1, { name: 'New York line', label: 'New York line' }),
  sender(2, { phone: '+18885550102', label: '+18885550102', kind: 'toll_free', segments_per_second: 3 }),
  sender(3, { phone: null, messaging_service_sid: SID, label: SID, kind: 'messaging_service', segments_per_second: 1, active: false }),
];

const me = (role: string) => ({ id: 1, name: 'Key 1', role, key_prefix: 'smc_00000001', expires_at: null, revoked_at: null, auth: true });

type Answer = ReturnType<Parameters<typeof mockApi>[0]>;

/** The senders routes: the list (`items`), POST answers 201 with what was sent, PUT the sender changed, DELETE 204. */
function sendersServer({ role = 'operator', items = SENDERS, first }: { role?: string; items?: unknown[]; first?: (c: MockCall) => Answer } = {}) {
  return mockApi((c) => {
    const r = first?.(c);
    if (r) return r;
    if (c.url === '/api/keys/me') return { status: 200, json: me(role) };
    if (c.method === 'GET' && c.url === '/api/senders') return { status: 200, json: { items, total: items.length } };
    if (c.method === 'POST' && c.url === '/api/senders') {
      const b = JSON.parse(c.body!);
      const kind = b.messaging_service_sid ? 'messaging_service' : b.kind;
      return { status: 201, json: sender(9, { ...b, kind, phone: b.phone ?? null, label: b.name ?? b.phone ?? b.messaging_service_sid }) };
    }
    const m = /^\/api\/senders\/(\d+)$/.exec(c.url);
    if (m && c.method === 'PUT') {
      const was = (items as ReturnType<typeof sender>[]).find((s) => s.id === Number(m[1]))!;
      return { status: 200, json: { ...was, ...JSON.parse(c.body!) } };
    }
    if (m && c.method === 'DELETE') return { status: 204 };
    return undefined;
  });
}

const renderPage = () => renderAsUser(<SendersPage />, { route: '/senders' });
const posts = (calls: MockCall[]) => calls.filter((c) => c.method === 'POST');

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('sender helpers', () => {
  it('formats a pace in segments per second', () => {
    expect(fmtSegmentsPerSecond(1)).toBe('1 segment/s');
    expect(fmtSegmentsPerSecond(3)).toBe('3 segments/s');
    expect(fmtSegmentsPerSecond('100')).toBe('100 segments/s');
    expect(fmtSegmentsPerSecond(0.5)).toBe('0.5 segments/s');
    expect(fmtSegmentsPerSecond(null)).toBe('—');
  });

  it('formats an estimated time as estimates read', () => {
    expect(fmtEta(20)).toBe('about 20 s');
    expect(fmtEta(0.4)).toBe('about 1 s');
    expect(fmtEta(59.4)).toBe('about 59 s');
    expect(fmtEta(60)).toBe('about 1 min');
    expect(fmtEta(180)).toBe('about 3 min');
    expect(fmtEta(3599)).toBe('about 1 h');
    expect(fmtEta(7500)).toBe('about 2 h 5 min');
    expect(fmtEta(7200)).toBe('about 2 h');
    expect(fmtEta(90000)).toBe('about 1 d 1 h');
    expect(fmtEta(null)).toBe('—');
  });

  it('has the default rates of each kind', () => {
    expect(SENDER_DEFAULT_RATES).toEqual({ long_code: 1, toll_free: 3, short_code: 100, alphanumeric: 10, messaging_service: 1 });
  });

  it('sends a new sender whole and an edited one by its changes only', () => {
    const v = { ...senderValues(), phone: ' +12125550100 ', name: ' ' };
    expect(senderInput(v)).toEqual({ phone: '+12125550100', kind: 'long_code', segments_per_second: 1, active: true });
    expect(senderInput({ ...senderValues(), source: 'service', sid: SID, name: 'Pool' })).toEqual({ messaging_service_sid: SID, segments_per_second: 1, name: 'Pool', active: true });
    const s = SENDERS[0] as Parameters<typeof senderValues>[0];
    expect(senderInput(senderValues(s), s)).toEqual({});
    expect(senderInput({ ...senderValues(s), rate: '2', name: '' }, s)).toEqual({ segments_per_second: 2, name: null });
    expect(senderInput({ ...senderValues(s), kind: 'toll_free', active: false }, s)).toEqual({ kind: 'toll_free', active: false });
  });
});

describe('Senders page', () => {
  it('lists the senders: label, number or service, kind in words, rate and state', async () => {
    sendersServer();
    renderPage();
    expect(screen.getByRole('heading', { level: 1, name: 'Senders' })).toBeInTheDocument();
    const table = await screen.findByTestId('senders-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('New York line');
    expect(rows[0]).toHaveTextContent('+12125550101');
    expect(rows[0]).toHaveTextContent('Long code');
    expect(within(rows[0]).getByTestId('sender-rate')).toHaveTextContent('1 segment/s');
    expect(rows[0]).toHaveTextContent('Active');
    expect(rows[1]).toHaveTextContent('Toll-free');
    expect(within(rows[1]).getByTestId('sender-rate')).toHaveTextContent('3 segments/s');
    expect(rows[2]).toHaveTextContent('Messaging Service');
    expect(rows[2]).toHaveTextContent(SID);
    expect(rows[2]).toHaveTextContent('Inactive');
    expect(screen.getByTestId('senders-total')).toHaveTextContent('3 senders, 2 active · together 4 segments/s');
    expect(await within(rows[0]).findByRole('button', { name: 'Edit New York line' })).toBeInTheDocument();
    expect(within(rows[0]).getByRole('button', { name: 'Deactivate New York line' })).toBeInTheDocument();
    expect(within(rows[2]).getByRole('button', { name: `Activate ${SID}` })).toBeInTheDocument();
  });

  it('explains the default number and per-number pacing while there is no sender', async () => {
    sendersServer({ items: [] });
    renderPage();
    expect(await screen.findByText('No senders yet')).toBeInTheDocument();
    expect(screen.getByText('smscamp.sms_from')).toBeInTheDocument();
    expect(screen.getByText(/A US long code sends about 1 segment per second, a toll-free number about 3, a short code 100 or more\./)).toBeInTheDocument();
    expect(await screen.findAllByRole('button', { name: 'Add sender' })).toHaveLength(2);
  });

  it('adds a number: the kind fills its default rate; the body has only what was given', async () => {
    const { calls } = sendersServer();
    const { user } = renderPage();
    await screen.findByTestId('senders-table');
    await user.click(await screen.findByRole('button', { name: 'Add sender' }));
    const dialog = screen.getByRole('dialog', { name: 'Add sender' });
    expect(within(dialog).getByRole('radio', { name: 'A number' })).toBeChecked();
    const rate = within(dialog).getByLabelText(/^Segments per second/);
    expect(rate).toHaveValue(1);
    await user.selectOptions(within(dialog).getByLabelText('Kind'), 'toll_free');
    expect(rate).toHaveValue(3);
    await user.selectOptions(within(dialog).getByLabelText('Kind'), 'short_code');
    expect(rate).toHaveValue(100);
    expect(within(dialog).getByLabelText(/^Short code/)).toBeInTheDocument();
    await user.selectOptions(within(dialog).getByLabelText('Kind'), 'toll_free');
    // nothing typed: refused before sending
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    expect(within(dialog).getByLabelText(/^Phone number/)).toHaveAccessibleDescription('Enter the phone number.');
    expect(within(dialog).getByLabelText(/^Phone number/)).toHaveFocus();
    expect(posts(calls)).toHaveLength(0);
    await user.type(within(dialog).getByLabelText(/^Phone number/), '+18885550182');
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    await waitFor(() => expect(posts(calls)).toHaveLength(1));
    expect(JSON.parse(posts(calls)[0].body!)).toEqual({ phone: '+18885550182', kind: 'toll_free', segments_per_second: 3, active: true });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByText('Added +18885550182')).toBeInTheDocument();
    // the list is asked again
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.url === '/api/senders').length).toBeGreaterThan(1));
  });

  it('adds a Twilio Messaging Service by its SID, checked before sending', async () => {
    const { calls } = sendersServer();
    const { user } = renderPage();
    await screen.findByTestId('senders-table');
    await user.click(await screen.findByRole('button', { name: 'Add sender' }));
    const dialog = screen.getByRole('dialog', { name: 'Add sender' });
    await user.selectOptions(within(dialog).getByLabelText('Kind'), 'short_code');
    await user.click(within(dialog).getByRole('radio', { name: 'A Messaging Service' }));
    expect(within(dialog).queryByLabelText('Kind')).toBeNull();
    expect(within(dialog).getByLabelText(/^Segments per second/)).toHaveValue(1);
    const sid = within(dialog).getByLabelText(/^Messaging Service SID/);
    await user.type(sid, 'MG123');
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    expect(sid).toHaveAccessibleDescription('A Messaging Service SID is MG followed by 32 hexadecimal characters.');
    expect(posts(calls)).toHaveLength(0);
    await user.clear(sid);
    await user.type(sid, SID);
    await user.type(within(dialog).getByLabelText('Name (optional)'), 'Pool');
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    await waitFor(() => expect(posts(calls)).toHaveLength(1));
    expect(JSON.parse(posts(calls)[0].body!)).toEqual({ messaging_service_sid: SID, segments_per_second: 1, name: 'Pool', active: true });
  });

  it('shows a 409 (the number is there already) under the number, and a 422 under its field', async () => {
    let n = 0;
    sendersServer({
      first: (c) => {
        if (c.method !== 'POST') return undefined;
        n += 1;
        return n === 1
          ? { status: 409, json: { detail: 'A sender with phone +12125550101 already exists' } }
          : { status: 422, json: { detail: [{ loc: ['body', 'segments_per_second'], msg: 'must be at most 1000', type: 'value_error' }] } };
      },
    });
    const { user } = renderPage();
    await screen.findByTestId('senders-table');
    await user.click(await screen.findByRole('button', { name: 'Add sender' }));
    const dialog = screen.getByRole('dialog', { name: 'Add sender' });
    const phone = within(dialog).getByLabelText(/^Phone number/);
    await user.type(phone, '+12125550101');
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    await waitFor(() => expect(phone).toHaveAttribute('aria-invalid', 'true'));
    expect(phone).toHaveAccessibleDescription('A sender with phone +12125550101 already exists');
    expect(phone).toHaveFocus();
    await user.clear(phone);
    await user.type(phone, '+12125550109');
    const rate = within(dialog).getByLabelText(/^Segments per second/);
    await user.clear(rate);
    await user.type(rate, '5000');
    await user.click(within(dialog).getByRole('button', { name: 'Add sender' }));
    await waitFor(() => expect(rate).toHaveAttribute('aria-invalid', 'true'));
    expect(rate).toHaveAccessibleDescription('must be at most 1000');
    expect(phone).not.toHaveAttribute('aria-invalid');
  });

  it('edits a sender with PUT and only the fields changed', async () => {
    const { calls } = sendersServer();
    const { user } = renderPage();
    const table = await screen.findByTestId('senders-table');
    await user.click(await within(table).findByRole('button', { name: 'Edit New York line' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit New York line' });
    expect(within(dialog).getByRole('radio', { name: 'A number' })).toBeDisabled();
    expect(within(dialog).getByLabelText('Kind')).toHaveFocus();
    expect(within(dialog).getByLabelText(/^Phone number/)).toHaveValue('+12125550101');
    const rate = within(dialog).getByLabelText(/^Segments per second/);
    await user.clear(rate);
    await user.type(rate, '2');
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toBe('/api/senders/1');
    expect(JSON.parse(put.body!)).toEqual({ segments_per_second: 2 });
    expect(await screen.findByText('Saved New York line')).toBeInTheDocument();
  });

  it('deactivates and activates a sender from its row', async () => {
    const { calls } = sendersServer();
    const { user } = renderPage();
    const table = await screen.findByTestId('senders-table');
    await user.click(await within(table).findByRole('button', { name: 'Deactivate New York line' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1));
    expect(calls.find((c) => c.method === 'PUT')!.url).toBe('/api/senders/1');
    expect(JSON.parse(calls.find((c) => c.method === 'PUT')!.body!)).toEqual({ active: false });
    expect(await screen.findByText('New York line is inactive: campaigns no longer send from it')).toBeInTheDocument();
    await user.click(within(table).getByRole('button', { name: `Activate ${SID}` }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(2));
    expect(calls.filter((c) => c.method === 'PUT')[1].url).toBe('/api/senders/3');
    expect(JSON.parse(calls.filter((c) => c.method === 'PUT')[1].body!)).toEqual({ active: true });
  });

  it('deletes a sender after a confirmation', async () => {
    const { calls } = sendersServer();
    const { user } = renderPage();
    const table = await screen.findByTestId('senders-table');
    await user.click(await within(table).findByRole('button', { name: 'Delete New York line' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete New York line?' });
    expect(dialog).toHaveTextContent('New York line (+12125550101) is removed: no campaign sends from it any more.');
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Delete sender' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true));
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/senders/1');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByText('Deleted New York line')).toBeInTheDocument();
  });

  it('shows a refused deletion in the dialog', async () => {
    sendersServer({ first: (c) => (c.method === 'DELETE' ? { status: 409, json: { detail: 'Sender 1 is in use' } } : undefined) });
    const { user } = renderPage();
    const table = await screen.findByTestId('senders-table');
    await user.click(await within(table).findByRole('button', { name: 'Delete New York line' }));
    await user.click(screen.getByRole('button', { name: 'Delete sender' }));
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('Conflict: Sender 1 is in use');
  });

  it('is read-only for a viewer key', async () => {
    sendersServer({ role: 'viewer' });
    const { qc } = renderPage();
    const table = await screen.findByTestId('senders-table');
    await waitFor(() => expect(qc.getQueryData(['keys', 'me'])).toMatchObject({ role: 'viewer' }));
    await act(() => new Promise((r) => setTimeout(r, 0)));
    expect(within(table).queryByRole('button')).toBeNull();
    expect(within(table).queryByRole('columnheader', { name: 'Actions' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add sender' })).toBeNull();
    expect(screen.getByText("Read only: this browser's key is a viewer key.")).toBeInTheDocument();
  });

  it('says the feature is not there yet when the server has no such route', async () => {
    mockApi((c) => (c.url === '/api/keys/me' ? { status: 200, json: me('admin') } : undefined));
    renderPage();
    expect(await screen.findByTestId('not-available')).toHaveTextContent("Senders isn't available on this server yet.");
  });
});

describe('Senders in the app', () => {
  it('has a nav link after Opt-outs and its own route and title', async () => {
    sendersServer({ first: (c) => (c.url.startsWith('/api/health') ? { status: 200, json: { status: 'ok', database: 'ok' } } : undefined) });
    window.history.pushState({}, '', '/senders');
    render(<App queryClient={makeQueryClient()} />);
    const nav = screen.getAllByRole('navigation', { name: 'Main' })[0];
    const labels = within(nav).getAllByRole('link').map((a) => a.textContent);
    expect(labels.indexOf('Senders')).toBe(labels.indexOf('Opt-outs') + 1);
    expect(within(nav).getByRole('link', { name: 'Senders' })).toHaveAttribute('href', '/senders');
    expect(await screen.findByTestId('senders-table')).toBeInTheDocument();
    expect(document.title).toBe('Senders · smscamp');
    window.history.pushState({}, '', '/');
  });
});
