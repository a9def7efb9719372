// A lead's thread: every SMS to or from the lead (GET /api/leads/{id}/messages), oldest first,
// as chat bubbles: what the lead sent on the left (with what the reply agent read in it), what
// was sent to the lead on the right with its delivery status. The reply agent's drafts carry
// Approve / Edit / Reject; under the thread, a reply box with a live segment counter. New
// replies appear while it is open (polled every 5 s).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage, type Lead, type Message } from '../api';
import { fmtDateTime } from '../lib/format';
import { countSms } from '../lib/sms';
import { INTENT_META, messageStatusMeta } from '../lib/status';
import { Badge, Button, EmptyState, ErrorState, LoadingState, TextArea, cx } from './ui';

const PAGE = 100;

/** After a message changed: the thread and the inbox again. */
function useRefreshThread(leadId: number) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: ['lead-messages', leadId] });
    void qc.invalidateQueries({ queryKey: ['conversations'] });
  };
}

/** What a keyword's automatic answer is, as its bubble says. */
const PURPOSE_LABEL: Record<NonNullable<Message['purpose']>, string> = {
  help: 'automatic answer to HELP',
  opt_out_confirmation: 'opt-out confirmation',
  opt_in_confirmation: 'opt-in confirmation',
};

function MessageMeta({ m }: { m: Message }) {
  const out = m.direction === 'outbound';
  const status = m.status ? messageStatusMeta(m.status) : null;
  const waits = m.status === 'queued' && m.send_after && new Date(m.send_after) > new Date();
  return (
    <div className={cx('mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-[11px]', out ? 'text-indigo-100' : 'text-slate-600')}>
      <time dateTime={m.sent_at ?? m.created_at}>{fmtDateTime(m.sent_at ?? m.created_at)}</time>
      {m.kind === 'campaign' && m.campaign_id != null && (
        <Link to={`/campaigns/${m.campaign_id}`} className={cx('underline-offset-2 hover:underline', out ? 'text-indigo-100' : 'text-slate-600')}>
          campaign #{m.campaign_id}
        </Link>
      )}
      {out && m.purpose && <span data-testid="message-purpose">{PURPOSE_LABEL[m.purpose]}</span>}
      {out && m.kind !== 'campaign' && !m.purpose && m.sent_by && <span>by {m.sent_by}</span>}
      {status && (
        <span className="rounded bg-white/90 px-1.5 py-px font-medium text-slate-700" title={status.help} data-testid="message-status">
          {status.label}
        </span>
      )}
      {waits && <span>waits until {fmtDateTime(m.send_after!)} (quiet hours)</span>}
      {m.intent && (
        <span data-testid="message-intent">
          <Badge tone={INTENT_META[m.intent]?.tone ?? 'slate'}>{INTENT_META[m.intent]?.label ?? m.intent}</Badge>
        </span>
      )}
      {!out && !m.intent && m.agent_pending && <span data-testid="message-intent">Classifying…</span>}
    </div>
  );
}

/** The reply agent's draft: approve it as it is or edited, or reject it. */
function Draft({ m, leadId }: { m: Message; leadId: number }) {
  const refresh = useRefreshThread(leadId);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(m.body);
  const approve = useMutation({ mutationFn: (body?: string) => api.approveMessage(m.id, body), onSuccess: refresh });
  const reject = useMutation({ mutationFn: () => api.rejectMessage(m.id), onSuccess: refresh });
  const error = approve.error ?? reject.error;
  return (
    <li className="flex justify-end" data-testid="thread-message" data-direction="outbound" data-status="draft">
      <div className="w-full max-w-[85%] rounded-2xl rounded-br-sm border border-dashed border-amber-400 bg-amber-50 px-3.5 py-2 text-slate-900 sm:max-w-[75%]">
        <p className="mb-1 text-[11px] font-semibold uppercase tracking-wide text-amber-800">Suggested reply</p>
        {editing ? (
          <TextArea aria-label="Edit the suggested reply" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
        ) : (
          <p className="whitespace-pre-wrap text-sm [overflow-wrap:anywhere]">{m.body}</p>
        )}
        <div className="mt-2 flex flex-wrap gap-2">
          {editing ? (
            <>
              <Button size="sm" variant="primary" busy={approve.isPending} onClick={() => approve.mutate(text)} disabled={!text.trim()}>
                Approve edited
              </Button>
              <Button size="sm" onClick={() => { setEditing(false); setText(m.body); }}>
                Cancel
              </Button>
            </>
          ) : (
            <>
              <Button size="sm" variant="primary" busy={approve.isPending} onClick={() => approve.mutate(undefined)}>
                Approve
              </Button>
              <Button size="sm" onClick={() => setEditing(true)}>
                Edit
              </Button>
              <Button size="sm" variant="danger" busy={reject.isPending} onClick={() => reject.mutate()}>
                Reject
              </Button>
            </>
          )}
        </div>
        {error && (
          <p role="alert" className="mt-1 text-xs font-medium text-red-700">
            {errorMessage(error)}
          </p>
        )}
      </div>
    </li>
  );
}

function Bubble({ m, leadId }: { m: Message; leadId: number }) {
  if (m.status === 'draft') return <Draft m={m} leadId={leadId} />;
  const out = m.direction === 'outbound';
  return (
    <li className={cx('flex', out ? 'justify-end' : 'justify-start')} data-testid="thread-message" data-direction={m.direction} data-status={m.status ?? undefined}>
      <div className={cx('max-w-[85%] rounded-2xl px-3.5 py-2 shadow-sm sm:max-w-[75%]', out ? 'rounded-br-sm bg-indigo-600 text-white' : 'rounded-bl-sm bg-slate-100 text-slate-900')}>
        <p className="whitespace-pre-wrap text-sm [overflow-wrap:anywhere]">{m.body || <em className="opacity-70">(no text)</em>}</p>
        <MessageMeta m={m} />
        {out && m.error && m.status !== 'sent' && m.status !== 'delivered' && <p className="mt-1 text-[11px] text-indigo-100">{m.error}</p>}
      </div>
    </li>
  );
}

/** A reply to the lead: the text, its SMS segments as it is typed, Send (Ctrl/⌘+Enter). */
export function ReplyBox({ lead }: { lead: Pick<Lead, 'id' | 'name'> }) {
  const refresh = useRefreshThread(lead.id);
  const [text, setText] = useState('');
  const settings = useQuery({ queryKey: ['settings'], queryFn: ({ signal }) => api.settings(signal), staleTime: 60_000 });
  const max = settings.data?.max_segments ?? 2;
  const c = countSms(text);
  const tooLong = c.segments > max;
  const send = useMutation({
    mutationFn: () => api.sendMessage(lead.id, text),
    onSuccess: () => {
      setText('');
      refresh();
    },
  });
  const canSend = text.trim() !== '' && !tooLong && !send.isPending;
  return (
    <form
      className="mt-4 border-t border-slate-200 pt-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSend) send.mutate();
      }}
    >
      <label htmlFor={`reply-${lead.id}`} className="mb-1 block text-sm font-medium text-slate-700">
        Reply to {lead.name}
      </label>
      <TextArea
        id={`reply-${lead.id}`}
        rows={3}
        value={text}
        invalid={tooLong || !!send.error}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canSend) {
            e.preventDefault();
            send.mutate();
          }
        }}
        aria-describedby={`reply-${lead.id}-count`}
      />
      <div className="mt-1 flex flex-wrap items-center justify-between gap-2">
        <p id={`reply-${lead.id}-count`} className={cx('text-xs tabular-nums', tooLong ? 'font-medium text-red-700' : 'text-slate-500')} data-testid="reply-counter">
          {c.segments} {c.segments === 1 ? 'segment' : 'segments'} · {c.units}/{c.capacity} {c.encoding === 'GSM-7' ? 'characters' : 'Unicode units'}
          {tooLong && ` — at most ${max} segments`}
        </p>
        <Button type="submit" size="sm" variant="primary" busy={send.isPending} disabled={!canSend}>
          Send
        </Button>
      </div>
      {send.error && (
        <p role="alert" className="mt-1 text-xs font-medium text-red-700">
          {errorMessage(send.error)}
        </p>
      )}
    </form>
  );
}

/** The thread; with canReply, the reply box under it (or why nothing can be sent). */
export function Thread({ lead, canReply = false }: { lead: Pick<Lead, 'id' | 'name' | 'phone'> & { opted_out?: boolean }; canReply?: boolean }) {
  const q = useInfiniteQuery({
    queryKey: ['lead-messages', lead.id],
    queryFn: ({ pageParam, signal }) => api.leadMessages(lead.id, { limit: PAGE, after: pageParam ?? undefined }, signal),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_after,
    refetchInterval: 5_000,
  });
  // whether the lead opted out, when the caller does not know (the inbox)
  const leadQ = useQuery({
    queryKey: ['lead', lead.id],
    queryFn: ({ signal }) => api.getLead(lead.id, signal),
    enabled: canReply && lead.opted_out === undefined,
  });
  if (q.isLoading) return <LoadingState label="Loading messages…" />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} feature="Messages" path={`/api/leads/${lead.id}/messages`} />;
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const total = q.data?.pages[0]?.total ?? 0;
  const optedOut = lead.opted_out ?? leadQ.data?.opted_out;
  const reply = !canReply ? null : optedOut ? (
    <p className="mt-4 border-t border-slate-200 pt-3 text-sm text-slate-600" data-testid="reply-opted-out">
      This lead opted out: nothing more can be sent.
    </p>
  ) : (
    <ReplyBox lead={lead} />
  );
  if (items.length === 0) {
    return (
      <div>
        <EmptyState title="No messages yet">
          Messages sent to {lead.name} by a campaign, and what {lead.phone} sends back, appear here.
        </EmptyState>
        {reply}
      </div>
    );
  }
  return (
    <div>
      <p className="mb-3 text-xs text-slate-500">
        {total} {total === 1 ? 'message' : 'messages'} with <span className="font-mono">{lead.phone}</span>
      </p>
      <ol className="space-y-2" aria-label={`Messages with ${lead.name}`}>
        {items.map((m) => (
          <Bubble key={m.id} m={m} leadId={lead.id} />
        ))}
      </ol>
      {q.hasNextPage && (
        <div className="mt-3 text-center">
          <Button size="sm" variant="secondary" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? 'Loading…' : 'Newer messages'}
          </Button>
        </div>
      )}
      {reply}
    </div>
  );
}
