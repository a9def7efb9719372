import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Thread } from '../components/thread';
import InboxPage from '../pages/InboxPage';
import { countSms } from '../lib/sms';
import { mockApi, renderWithProviders } from './helpers';

const msg = (id: number, over: Record<string, unknown> = {}) => ({
  id, lead_id: 1, campaign_id: 5, campaign_lead_id: 50, phone: '+14155550101', direction: 'outbound',
  body: `message ${id}`, kind: 'campaign', status: 'delivered', provider_sid: `SM${id}`, intent: null,
  created_at: '2026-03-04T09:30:00+00:00', sent_at: '2026-03-04T09:30:01+00:00', read_at: null,
  reply_to_id: null, send_after: null, segments: 1, cost: 0.0079, error: null, sent_by: null, purpose: null, agent_pending: false,
  ...over,
});
const threadOf = (items: unknown[]) => ({ status: 200, json: { items, total: items.length, limit: 100, next_after: null } });
const settings = { status: 200, json: { writer: { kind: 'builtin', label: 'built-in' }, sms_provider: 'log', default_country: null, max_segments: 2, price_per_segment: 0.0079, optout_footer: 'Reply STOP to opt out' } };
const ada = { id: 1, name: 'Ada Lovelace', phone: '+14155550101', opted_out: false };

describe('countSms', () => {
  it('counts GSM-7 and Unicode segments as the server does', () => {
    expect(countSms('')).toMatchObject({ segments: 0 });
    expect(countSms('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(countSms('a'.repeat(161))).toMatchObject({ segments: 2 });
    expect(countSms('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSms('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ segments: 3 });
    expect(countSms('héllo 😀')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(countSms('😀'.repeat(36))).toMatchObject({ units: 72, segments: 2 });
  });
});

describe('replies in the thread', () => {
  it('shows the intent of an inbound message, and sends a reply with a live segment counter', async () => {
    const { calls } = mockApi((c) => {
      if (c.url.startsWith('/api/settings')) return settings;
      if (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages'))
        return threadOf([msg(1), msg(2, { direction: 'inbound', kind: 'reply', status: null, body: 'What time?', intent: 'question' })]);
      if (c.method === 'POST' && c.url === '/api/leads/1/messages') return { status: 202, json: msg(3, { kind: 'reply', status: 'queued', body: 'At 10am!' }) };
      return undefined;
    });
    renderWithProviders(<Thread lead={ada} canReply />);
    const items = await screen.findAllByTestId('thread-message');
    expect(within(items[1]).getByTestId('message-intent')).toHaveTextContent('Question');
    const box = screen.getByLabelText('Reply to Ada Lovelace');
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    await userEvent.type(box, 'At 10am!');
    expect(screen.getByTestId('reply-counter')).toHaveTextContent('1 segment · 8/160 characters');
    await userEvent.click(send);
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === '/api/leads/1/messages')).toBe(true));
    expect(JSON.parse(calls.find((c) => c.method === 'POST')!.body!)).toEqual({ body: 'At 10am!' });
    await waitFor(() => expect(box).toHaveValue(''));
  });

  it('refuses to send past max_segments, and shows the server\'s 409', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/settings')) return settings;
      if (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages')) return threadOf([msg(1)]);
      if (c.method === 'POST') return { status: 409, json: { detail: 'Lead 1 opted out: nothing more is sent to +14155550101' } };
      return undefined;
    });
    renderWithProviders(<Thread lead={ada} canReply />);
    const box = await screen.findByLabelText('Reply to Ada Lovelace');
    await userEvent.click(box);
    await userEvent.paste('x'.repeat(400));
    expect(screen.getByTestId('reply-counter')).toHaveTextContent('3 segments');
    expect(screen.getByTestId('reply-counter')).toHaveTextContent('at most 2 segments');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await userEvent.clear(box);
    await userEvent.type(box, 'Hello?');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('opted out');
  });

  it('an opted-out lead has no reply box', async () => {
    mockApi((c) => (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages') ? threadOf([msg(1)]) : undefined));
    renderWithProviders(<Thread lead={{ ...ada, opted_out: true }} canReply />);
    expect(await screen.findByTestId('reply-opted-out')).toHaveTextContent('This lead opted out');
    expect(screen.queryByLabelText('Reply to Ada Lovelace')).not.toBeInTheDocument();
  });

  it("labels a keyword's automatic answers: the opt-out confirmation, not a sender", async () => {
    mockApi((c) =>
      c.method === 'GET' && c.url.startsWith('/api/leads/1/messages')
        ? threadOf([
            msg(1),
            msg(2, { direction: 'inbound', kind: 'reply', status: null, body: 'STOP', intent: 'opt_out' }),
            msg(3, { kind: 'auto', status: 'sent', body: 'You are unsubscribed.', sent_by: 'keyword', purpose: 'opt_out_confirmation', reply_to_id: 2 }),
          ])
        : undefined,
    );
    renderWithProviders(<Thread lead={{ ...ada, opted_out: true }} canReply />);
    const items = await screen.findAllByTestId('thread-message');
    expect(within(items[2]).getByTestId('message-purpose')).toHaveTextContent('opt-out confirmation');
    expect(within(items[2]).queryByText('by keyword')).not.toBeInTheDocument();
  });

  it('a draft is approved as it is, approved edited, or rejected', async () => {
    const { calls } = mockApi((c) => {
      if (c.url.startsWith('/api/settings')) return settings;
      if (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages'))
        return threadOf([msg(7, { kind: 'auto', status: 'draft', body: 'Thanks! Someone will call.', sent_by: 'the built-in reply' })]);
      if (c.method === 'POST' && c.url === '/api/messages/7/approve') return { status: 202, json: msg(7, { kind: 'auto', status: 'queued' }) };
      if (c.method === 'POST' && c.url === '/api/messages/7/reject') return { status: 204 };
      return undefined;
    });
    renderWithProviders(<Thread lead={ada} canReply />);
    await screen.findByText('Suggested reply');
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/messages/7/approve')).toHaveLength(1));
    expect(calls.find((c) => c.url === '/api/messages/7/approve')!.body).toBeUndefined();

    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const edit = screen.getByLabelText('Edit the suggested reply');
    await userEvent.clear(edit);
    await userEvent.type(edit, 'Sam will call at 4pm.');
    await userEvent.click(screen.getByRole('button', { name: 'Approve edited' }));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/messages/7/approve')).toHaveLength(2));
    expect(JSON.parse(calls.filter((c) => c.url === '/api/messages/7/approve')[1].body!)).toEqual({ body: 'Sam will call at 4pm.' });

    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === '/api/messages/7/reject')).toBe(true));
  });
});

describe('the inbox', () => {
  it('filters by intent and shows intents and drafts', async () => {
    const { calls } = mockApi((c) =>
      c.method === 'GET' && c.url.startsWith('/api/conversations')
        ? { status: 200, json: { items: [{ phone: '+14155550101', lead_id: 1, name: 'Ada Lovelace', last_message: msg(2, { direction: 'inbound', kind: 'reply', status: null, body: 'What time?', intent: 'question' }), message_count: 3, unread: 1, needs_reply: true, intent: 'question', drafts: 1 }], total: 1, limit: 25, offset: 0 } }
        : undefined,
    );
    renderWithProviders(<InboxPage />, { route: '/inbox' });
    const row = await screen.findByRole('button', { name: /Ada Lovelace/ });
    expect(row).toHaveTextContent('Question');
    expect(row).toHaveTextContent('1 draft');
    await userEvent.selectOptions(screen.getByLabelText('Filter by intent'), 'wrong_number');
    await waitFor(() => expect(calls.some((c) => new URL(c.url, 'http://x').searchParams.get('intent') === 'wrong_number')).toBe(true));
  });
});
