import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import InboxPage from '../pages/InboxPage';
import { mockApi, renderWithProviders } from './helpers';

const message = (over: Record<string, unknown> = {}) => ({
  id: 9, lead_id: 1, campaign_id: 5, campaign_lead_id: 50, phone: '+14155550101', direction: 'inbound',
  body: 'Yes please, what time?', kind: 'reply', status: null, provider_sid: 'SM9', intent: null,
  created_at: '2026-03-04T09:30:00+00:00', sent_at: null, read_at: null, ...over,
});
const conversations = {
  items: [
    { phone: '+14155550101', lead_id: 1, name: 'Ada Lovelace', last_message: message(), message_count: 2, unread: 1, needs_reply: true },
    { phone: '+14155550199', lead_id: null, name: null, last_message: message({ id: 8, lead_id: null, phone: '+14155550199', body: 'who is this?' }), message_count: 1, unread: 1, needs_reply: true },
  ],
  total: 2, limit: 25, offset: 0,
};

describe('Inbox', () => {
  it('lists conversations with unread and needs-reply marks; opening one shows its thread and marks it read', async () => {
    const { calls } = mockApi((c) => {
      if (c.method === 'GET' && c.url.startsWith('/api/conversations')) return { status: 200, json: conversations };
      if (c.method === 'POST' && c.url === '/api/conversations/1/read') return { status: 200, json: { lead_id: 1, marked: 1 } };
      if (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages'))
        return { status: 200, json: { items: [message()], total: 1, limit: 100, next_after: null } };
      return undefined;
    });
    renderWithProviders(<InboxPage />, { route: '/inbox' });
    const list = await screen.findByRole('list', { name: 'Conversations' });
    const rows = within(list).getAllByRole('listitem');
    expect(rows[0]).toHaveTextContent('Ada Lovelace');
    expect(rows[0]).toHaveTextContent('Needs reply');
    expect(rows[0]).toHaveTextContent('1 unread');
    expect(rows[1]).toHaveTextContent('Unknown sender');
    expect(new URL(calls[0].url, 'http://x').searchParams.get('state')).toBe('open');

    await userEvent.click(within(list).getByRole('button', { name: /Ada Lovelace/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Messages with Ada Lovelace' });
    expect(await within(dialog).findByText('Yes please, what time?')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/conversations/1/read')).toBe(true);
  });

  it('filters by state', async () => {
    const { calls } = mockApi((c) => (c.url.startsWith('/api/conversations') ? { status: 200, json: conversations } : undefined));
    renderWithProviders(<InboxPage />, { route: '/inbox' });
    await userEvent.click(await screen.findByRole('button', { name: 'Needs reply' }));
    await screen.findByRole('list', { name: 'Conversations' });
    expect(calls.some((c) => new URL(c.url, 'http://x').searchParams.get('state') === 'needs_reply')).toBe(true);
  });
});
