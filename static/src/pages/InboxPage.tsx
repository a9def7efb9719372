// The inbox: one row per conversation (GET /api/conversations), newest activity first, with
// the last message, unread count, "Needs reply", what the lead meant (intent) and the reply
// agent's drafts; filters by state and intent; a row opens the thread (with the reply box) and
// marks it read.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, INTENTS, type Conversation, type ConversationState, type Intent } from '../api';
import { Badge, Card, EmptyState, Modal, PageHeader, cx } from '../components/ui';
import { FilterBar, FilterChips, FilterSelect, PagedList, SearchField } from '../components/list';
import { Thread } from '../components/thread';
import { useListParams } from '../lib/useListParams';
import { fmtDateTime, fmtInt } from '../lib/format';
import { INTENT_META } from '../lib/status';

const PAGE_SIZE = 25;
const STATES: { value: ConversationState; label: string }[] = [
  { value: 'needs_reply', label: 'Needs reply' },
  { value: 'open', label: 'Open' },
  { value: 'all', label: 'All' },
];

export default function InboxPage() {
  const { params, q, search, setSearch, update, paging, keyset, afterId } = useListParams();
  const state = (params.get('state') as ConversationState | null) ?? 'open';
  const intent = (params.get('intent') as Intent | null) ?? undefined;
  const [open, setOpen] = useState<Conversation | null>(null);
  const qc = useQueryClient();

  const list = useQuery({
    // keyset pages (?after=, latest first): the same cost however deep
    queryKey: ['conversations', { state, intent, q, after: afterId }],
    queryFn: ({ signal }) => api.conversations({ state, intent, q: q || undefined, limit: PAGE_SIZE, after: afterId }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000, // new replies appear without a reload
  });
  const read = useMutation({
    mutationFn: (leadId: number) => api.readConversation(leadId),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['conversations'] }),
  });

  const show = (c: Conversation) => {
    setOpen(c);
    if (c.lead_id != null && c.unread > 0) read.mutate(c.lead_id);
  };

  return (
    <>
      <PageHeader
        title="Inbox"
        description={list.data ? `${fmtInt(list.data.total)} ${list.data.total === 1 ? 'conversation' : 'conversations'}` : 'What your leads wrote back'}
      />
      <Card>
        <FilterBar className="flex flex-col gap-3 sm:flex-row sm:items-center">
          <SearchField label="Search conversations" placeholder="Name or phone" value={search} onChange={setSearch} className="sm:max-w-xs" />
          <FilterChips label="Show" value={state} options={STATES} onChange={(s) => update({ state: s === 'open' ? null : s, offset: null, after: null })} />
          <FilterSelect
            label="Filter by intent"
            value={intent ?? ''}
            onChange={(v) => update({ intent: v || null, offset: null, after: null })}
            allLabel="Any intent"
            options={INTENTS}
            optionLabel={(o) => INTENT_META[o as Intent].label}
            className="sm:w-44"
          />
        </FilterBar>
        <PagedList
          query={list}
          feature="Inbox"
          path="/api/conversations"
          paging={paging(PAGE_SIZE)}
          keyset={keyset}
          label="conversations"
          empty={<EmptyState title={state === 'needs_reply' ? 'Nothing waits for a reply' : 'No conversations yet'}>Replies to your campaigns appear here.</EmptyState>}
        >
          {(page) => (
            <ul className="divide-y divide-slate-100" aria-label="Conversations" data-testid="inbox">
              {page.items.map((c) => (
                <li key={c.phone}>
                  <button type="button" onClick={() => show(c)} className="flex w-full items-start gap-3 px-4 py-3 text-left hover:bg-slate-50 sm:px-5">
                    <div className="min-w-0 flex-1">
                      <div className="flex flex-wrap items-center gap-2">
                        <span className={cx('text-sm text-slate-900', c.unread > 0 && 'font-semibold')}>{c.name ?? 'Unknown sender'}</span>
                        <span className="font-mono text-xs text-slate-500">{c.phone}</span>
                        {c.needs_reply && <Badge tone="amber">Needs reply</Badge>}
                        {c.unread > 0 && <Badge tone="blue">{c.unread} unread</Badge>}
                        {c.intent && <Badge tone={INTENT_META[c.intent].tone}>{INTENT_META[c.intent].label}</Badge>}
                        {(c.drafts ?? 0) > 0 && <Badge tone="amber">{c.drafts === 1 ? '1 draft' : `${c.drafts} drafts`}</Badge>}
                      </div>
                      <p className="mt-0.5 truncate text-sm text-slate-600">
                        {c.last_message.direction === 'outbound' ? 'You: ' : ''}
                        {c.last_message.body}
                      </p>
                    </div>
                    <time className="whitespace-nowrap text-xs text-slate-500" dateTime={c.last_message.created_at}>
                      {fmtDateTime(c.last_message.created_at)}
                    </time>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </PagedList>
      </Card>
      {open && (
        <Modal title={`Messages with ${open.name ?? open.phone}`} onClose={() => setOpen(null)} size="lg">
          {open.lead_id != null ? (
            <Thread lead={{ id: open.lead_id, name: open.name ?? open.phone, phone: open.phone }} canReply />
          ) : (
            <div>
              <p className="mb-2 text-xs text-slate-500">{open.phone} is no lead: its last message</p>
              <p className="rounded-2xl bg-slate-100 px-3.5 py-2 text-sm">{open.last_message.body}</p>
            </div>
          )}
        </Modal>
      )}
    </>
  );
}
