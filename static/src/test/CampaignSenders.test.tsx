// A campaign's senders, pace and provider errors: the detail page's Senders card (the pool, the
// total rate and what limits it, the estimated time to finish), the reason a campaign paused
// itself, the Provider errors card; the form's Senders checkboxes, frequency cap and
// max_filtered (sent only when changed); a lead's phone the provider found not textable.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import CampaignCreatePage from '../pages/CampaignCreatePage';
import LeadsPage from '../pages/LeadsPage';
import LeadForm from '../components/LeadForm';
import { defaultSettings, settingsFromCampaign, settingsToInput } from '../components/CampaignForm';
import type { Campaign } from '../api';
import { campaign, lead, mockApi, mockCampaignDetail, page, renderAsUser, renderCampaignDetail, sender, type MockCall } from './helpers';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const poolSender = (s: ReturnType<typeof sender>) => ({
  id: s.id,
  label: s.label,
  phone: s.phone,
  messaging_service_sid: s.messaging_service_sid,
  kind: s.kind,
  segments_per_second: s.segments_per_second,
  active: s.active,
});

const LONG = sender(1, { phone: '+12125550181', label: '+12125550181' });
const TOLL = sender(2, { phone: '+18885550182', label: 'Toll-free line', kind: 'toll_free', segments_per_second: 3, name: 'Toll-free line' });
const OFF = sender(3, { phone: '+12125550183', label: 'Old line', name: 'Old line', active: false });

const withSenders = (id: number, over: Record<string, unknown> = {}) =>
  campaign(id, {
    sender_ids: [1, 2],
    senders: [poolSender(LONG), poolSender(TOLL)],
    send_rate: { segments_per_second: 4, messages_per_second: null, limited_by: 'senders' },
    eta_seconds: 180,
    max_filtered: 20,
    paused_reason: null,
    exclude_messaged_within_hours: null,
    ...over,
  });

describe('Campaign detail: senders, pace and time to finish', () => {
  it('lists the pool with each rate, the total, what limits it and the estimated time', async () => {
    mockCampaignDetail(withSenders(21));
    renderCampaignDetail(21);
    const card = await screen.findByTestId('campaign-senders');
    expect(within(card).getByRole('heading', { name: 'Senders' })).toBeInTheDocument();
    expect(card).toHaveTextContent('The senders chosen for this campaign');
    const items = within(card).getAllByTestId('campaign-sender');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('+12125550181');
    expect(items[0]).toHaveTextContent('Long code');
    expect(within(items[0]).getByTestId('campaign-sender-rate')).toHaveTextContent('1 segment/s');
    expect(items[1]).toHaveTextContent('Toll-free line');
    expect(items[1]).toHaveTextContent('+18885550182');
    expect(items[1]).toHaveTextContent('Toll-free');
    expect(within(items[1]).getByTestId('campaign-sender-rate')).toHaveTextContent('3 segments/s');
    expect(within(card).getByTestId('campaign-send-rate')).toHaveTextContent('4 segments/s');
    expect(within(card).getByTestId('campaign-limited-by')).toHaveTextContent("Limited by the senders' own pace.");
    expect(within(card).getByTestId('campaign-eta')).toHaveTextContent('about 3 min');
    expect(card).toHaveTextContent('3 leads left, once it starts');
    expect(within(card).getByRole('link', { name: 'Manage senders' })).toHaveAttribute('href', '/senders');
  });

  it("names the campaign's own cap when that is what limits it, and formats hours", async () => {
    mockCampaignDetail(
      withSenders(22, {
        status: 'processing',
        sender_ids: null,
        send_rate: { segments_per_second: 4, messages_per_second: 0.5, limited_by: 'campaign' },
        eta_seconds: 7500,
      }),
    );
    renderCampaignDetail(22);
    const card = await screen.findByTestId('campaign-senders');
    expect(card).toHaveTextContent('Every active sender');
    expect(within(card).getByTestId('campaign-limited-by')).toHaveTextContent("Limited by this campaign's cap of 0.5 msg/s.");
    expect(within(card).getByTestId('campaign-eta')).toHaveTextContent('about 2 h 5 min');
  });

  it("says the server's default number is used when the pool is empty", async () => {
    mockCampaignDetail(
      withSenders(23, { sender_ids: null, senders: [], send_rate: { segments_per_second: null, messages_per_second: null, limited_by: null }, eta_seconds: null }),
    );
    renderCampaignDetail(23);
    const card = await screen.findByTestId('campaign-senders');
    expect(within(card).getByTestId('campaign-default-sender')).toHaveTextContent(
      "There is no active sender, so messages go out from the server's default number (smscamp.sms_from).",
    );
    expect(within(card).queryAllByTestId('campaign-sender')).toHaveLength(0);
    expect(within(card).getByTestId('campaign-send-rate')).toHaveTextContent('Unpaced');
    expect(within(card).getByTestId('campaign-eta')).toHaveTextContent('Not known');
  });

  it('shows no Senders card for a server that reports no senders', async () => {
    mockCampaignDetail(campaign(24));
    renderCampaignDetail(24);
    expect(await screen.findByRole('heading', { name: 'Campaign 24' })).toBeInTheDocument();
    expect(screen.queryByTestId('campaign-senders')).toBeNull();
    expect(screen.queryByTestId('error-codes')).toBeNull();
    expect(screen.queryByTestId('paused-reason')).toBeNull();
  });

  it('shows prominently why the campaign paused itself', async () => {
    const reason = 'Carrier filtering: 21 messages filtered (error 30007), more than max_filtered 20';
    mockCampaignDetail(withSenders(25, { status: 'paused', paused_reason: reason, eta_seconds: 30 }));
    renderCampaignDetail(25);
    const banner = await screen.findByTestId('paused-reason');
    expect(within(banner).getByRole('status')).toHaveTextContent(`The campaign paused itself${reason}`);
    expect(banner).toHaveTextContent('Unsent leads stay pending until you resume.');
    expect(screen.queryByText('Paused: unsent leads stay pending until you resume.')).toBeNull();
    expect(screen.getByTestId('campaign-eta')).toHaveTextContent('about 30 s');
    expect(screen.getByTestId('campaign-senders')).toHaveTextContent('once it resumes');
  });

  it('lists the provider error codes, most frequent first, with what they mean', async () => {
    mockCampaignDetail(
      withSenders(26, {
        status: 'completed',
        eta_seconds: null,
        stats: {
          sent: 2, failed: 4, total: 6, total_messages_sent: 2, total_messages_failed: 4,
          error_codes: { '21610': 1, '30007': 3, '30008': 0 },
          error_code_descriptions: { '30007': 'Message filtered by the carrier' },
        },
      }),
    );
    renderCampaignDetail(26);
    const card = await screen.findByTestId('error-codes');
    expect(within(card).getByRole('heading', { name: 'Provider errors' })).toBeInTheDocument();
    const rows = within(card).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('30007Message filtered by the carrier3');
    expect(rows[1]).toHaveTextContent('21610No description1');
    expect(screen.getByTestId('campaign-eta')).toHaveTextContent('Nothing left to send');
  });

  it('shows the frequency cap and the carrier-filtering limit in the details', async () => {
    mockCampaignDetail(withSenders(27, { exclude_messaged_within_hours: 24, max_filtered: 5, stats: { pending: 3, total: 3, filtered: 2 } }));
    renderCampaignDetail(27);
    expect(await screen.findByTestId('frequency-cap')).toHaveTextContent('Skips leads messaged in the last 24 hours');
    expect(screen.getByTestId('max-filtered')).toHaveTextContent('Pauses after 5 filtered messages2 since it was started or resumed');
  });
});

describe('Campaign form: senders, frequency cap, max_filtered', () => {
  it('sends the new fields only when they differ from what they were', () => {
    const body = settingsToInput({ ...defaultSettings, name: 'x' });
    expect(body).not.toHaveProperty('sender_ids');
    expect(body).not.toHaveProperty('max_filtered');
    expect(body).not.toHaveProperty('exclude_messaged_within_hours');
    expect(settingsToInput({ ...defaultSettings, sender_ids: [2, 1], max_filtered: '50', exclude_messaged_within_hours: '24' })).toMatchObject({
      sender_ids: [1, 2],
      max_filtered: 50,
      exclude_messaged_within_hours: 24,
    });
    const from = settingsFromCampaign(withSenders(1, { exclude_messaged_within_hours: 24 }) as unknown as Campaign);
    expect(from).toMatchObject({ sender_ids: [1, 2], max_filtered: '20', exclude_messaged_within_hours: '24' });
    expect(settingsToInput({ ...from, sender_ids: [2, 1] }, from)).not.toHaveProperty('sender_ids');
    expect(settingsToInput({ ...from, sender_ids: [] }, from).sender_ids).toBeNull();
    expect(settingsToInput({ ...from, exclude_messaged_within_hours: '' }, from).exclude_messaged_within_hours).toBeNull();
    expect(settingsToInput({ ...from, max_filtered: '20' }, from)).not.toHaveProperty('max_filtered');
  });

  /** The create page's routes: the senders, leads, campaigns; POST /api/campaigns answers 201. */
  function createServer(senders: unknown[] | null = [LONG, TOLL, OFF]) {
    return mockApi((c) => {
      if (c.url === '/api/senders') return senders ? { status: 200, json: { items: senders, total: senders.length } } : undefined;
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1), lead(2)], 2) };
      if (c.method === 'GET' && c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      if (c.method === 'POST' && c.url === '/api/campaigns') return { status: 201, json: { id: 5, name: 'Spring' } };
      return undefined;
    });
  }
  const renderCreate = () =>
    renderAsUser(
      <Routes>
        <Route path="/campaigns/new" element={<CampaignCreatePage />} />
        <Route path="/campaigns/:id" element={<p>detail page</p>} />
      </Routes>,
      { route: '/campaigns/new' },
    );
  const posted = (calls: MockCall[]) => JSON.parse(calls.find((c) => c.method === 'POST')!.body!);

  it('offers the active senders as checkboxes; none checked is every active sender', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    const box = await screen.findByTestId('campaign-form-senders');
    expect(screen.getByRole('group', { name: 'Senders' })).toBe(box);
    const checks = await within(box).findAllByRole('checkbox');
    expect(checks.map((c) => c.closest('label')!.textContent)).toEqual(['+12125550181', 'Toll-free line']); // not the inactive one
    expect(within(box).getByRole('checkbox', { name: 'Toll-free line' })).toHaveAccessibleDescription('+18885550182 · Toll-free · 3 segments/s');
    expect(within(box).getByTestId('sender-choice')).toHaveTextContent('None checked: all 2 active senders, together 4 segments/s.');
    await user.click(within(box).getByRole('checkbox', { name: 'Toll-free line' }));
    expect(within(box).getByTestId('sender-choice')).toHaveTextContent('1 sender checked, together 3 segments/s.');

    await user.type(screen.getByLabelText(/^Name/), 'Spring');
    await user.type(screen.getByLabelText(/^Message template/), 'Hi');
    await user.type(screen.getByLabelText('Skip leads messaged in the last N hours'), '48');
    const maxFiltered = screen.getByLabelText('Pause after N carrier-filtered messages');
    expect(maxFiltered).toHaveValue(20);
    expect(maxFiltered).toHaveAccessibleDescription(/error 30007/);
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const body = posted(calls);
    expect(body.sender_ids).toEqual([2]);
    expect(body.exclude_messaged_within_hours).toBe(48);
    expect(body).not.toHaveProperty('max_filtered');
  });

  it('sends none of the new fields when they are left alone', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    await screen.findAllByRole('checkbox', { name: /\+12125550181/ });
    await user.type(screen.getByLabelText(/^Name/), 'Spring');
    await user.type(screen.getByLabelText(/^Message template/), 'Hi');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const body = posted(calls);
    expect(body).not.toHaveProperty('sender_ids');
    expect(body).not.toHaveProperty('exclude_messaged_within_hours');
    expect(body).not.toHaveProperty('max_filtered');
  });

  it("says the default number is used when there is no sender, and when the server has no senders", async () => {
    createServer([]);
    const first = renderCreate();
    expect(await screen.findByTestId('no-senders')).toHaveTextContent("No active senders: messages go out from the server's default number (smscamp.sms_from).");
    expect(within(screen.getByTestId('no-senders')).getByRole('link', { name: 'Add senders' })).toHaveAttribute('href', '/senders');
    first.unmount();
    vi.unstubAllGlobals();
    createServer(null);
    renderCreate();
    expect(await screen.findByText('This server has no senders yet: messages go out from its default number.')).toBeInTheDocument();
  });

  it('shows the server refusal of a new field under it', async () => {
    mockApi((c) => {
      if (c.url === '/api/senders') return { status: 200, json: { items: [LONG], total: 1 } };
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1)], 1) };
      if (c.method === 'GET' && c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      if (c.method === 'POST')
        return { status: 422, json: { detail: [{ loc: ['body', 'max_filtered'], msg: 'must be between 1 and 1000000', type: 'value_error' }] } };
      return undefined;
    });
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Spring');
    await user.type(screen.getByLabelText(/^Message template/), 'Hi');
    const maxFiltered = screen.getByLabelText('Pause after N carrier-filtered messages');
    await user.clear(maxFiltered);
    await user.type(maxFiltered, '0');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    await waitFor(() => expect(maxFiltered).toHaveAttribute('aria-invalid', 'true'));
    expect(maxFiltered).toHaveAccessibleDescription('must be between 1 and 1000000');
    expect(screen.getByText('Please correct the highlighted fields.')).toBeInTheDocument();
  });

  it('edits a campaign: unchecking every sender sends sender_ids null, nothing else new', async () => {
    const { calls } = mockCampaignDetail(withSenders(30, { exclude_messaged_within_hours: 24 }), {
      first: (c) => {
        if (c.url === '/api/senders') return { status: 200, json: { items: [LONG, TOLL, OFF], total: 3 } };
        if (c.method === 'PUT') return { status: 200, json: withSenders(30) };
        return undefined;
      },
    });
    const user = userEvent.setup();
    renderCampaignDetail(30);
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit campaign' });
    const long = await within(dialog).findByRole('checkbox', { name: '+12125550181' });
    const toll = within(dialog).getByRole('checkbox', { name: 'Toll-free line' });
    expect(long).toBeChecked();
    expect(toll).toBeChecked();
    expect(within(dialog).getByLabelText('Skip leads messaged in the last N hours')).toHaveValue(24);
    await user.click(long);
    await user.click(toll);
    expect(within(dialog).getByTestId('sender-choice')).toHaveTextContent('None checked: all 2 active senders');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const body = JSON.parse(calls.find((c) => c.method === 'PUT')!.body!);
    expect(body.sender_ids).toBeNull();
    expect(body).not.toHaveProperty('exclude_messaged_within_hours');
    expect(body).not.toHaveProperty('max_filtered');
  });

  it('shows an inactive sender the campaign names, so it can be unchecked', async () => {
    mockCampaignDetail(withSenders(31, { sender_ids: [1, 3] }), {
      first: (c) => (c.url === '/api/senders' ? { status: 200, json: { items: [LONG, TOLL, OFF], total: 3 } } : undefined),
    });
    const user = userEvent.setup();
    renderCampaignDetail(31);
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit campaign' });
    const old = await within(dialog).findByRole('checkbox', { name: 'Old line' });
    expect(old).toBeChecked();
    expect(old).toHaveAccessibleDescription('+12125550183 · Long code · 1 segment/s · inactive');
  });
});

describe("a lead's phone the provider found not textable", () => {
  it('shows a badge next to the phone in the leads list', async () => {
    mockApi((c) =>
      c.url.startsWith('/api/leads')
        ? {
            status: 200,
            json: page([lead(1, { phone_status: 'invalid', phone_status_at: '2026-03-04T09:30:00+00:00' }), lead(2, { phone_status: 'not_mobile' }), lead(3, { phone_status: null })], 3, 25),
          }
        : undefined,
    );
    renderAsUser(<LeadsPage />, { route: '/leads' });
    const table = await screen.findByTestId('leads-table');
    const rows = within(table).getAllByRole('row').slice(1);
    // one badge by the phone column, one under the name at phone width
    const first = within(rows[0]).getAllByTestId('phone-status');
    expect(first).toHaveLength(2);
    expect(first[1]).toHaveTextContent('Invalid number');
    expect(first[1].closest('td')).toHaveTextContent('+14155550001');
    expect(within(first[1]).getByText('Invalid number').closest('[title]')).toHaveAttribute('title', expect.stringContaining('error 21211'));
    expect(within(rows[1]).getAllByTestId('phone-status')[0]).toHaveTextContent('Not a mobile');
    expect(within(rows[2]).queryByTestId('phone-status')).toBeNull();
  });

  it('says so in the lead form', () => {
    renderAsUser(<LeadForm lead={lead(5, { phone_status: 'not_mobile', phone_status_at: '2026-03-04T09:30:00+00:00' }) as never} onSaved={() => {}} onCancel={() => {}} />);
    const box = screen.getByTestId('lead-phone-status');
    expect(within(box).getByTestId('phone-status')).toHaveTextContent('Not a mobile');
    expect(box).toHaveTextContent('later campaigns skip this lead');
    expect(box).toHaveTextContent('Reported Mar 4, 2026');
    expect(box).toHaveTextContent('A new phone clears it.');
  });
});
