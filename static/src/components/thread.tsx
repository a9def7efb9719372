// A lead's thread: every SMS to or from the lead (GET /api/leads/{id}/messages), oldest first,
// as chat bubbles: what the lead sent on the left, what was sent to the lead on the right with
// its delivery status. New replies appear while it is open (polled every 5 s).
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Lead, type Message } from '../api';
import { fmtDateTime } from '../lib/format';
import { leadStatusMeta } from '../lib/status';
import { Badge, Button, EmptyState, ErrorState, LoadingState, cx } from './ui';

const PAGE = 100;

function Bubble({ m }: { m: Message }) {
  const out = m.direction === 'outbound';
  const status = m.status ? leadStatusMeta(m.status) : null;
  return (
    <li className={cx('flex', out ? 'justify-end' : 'justify-start')} data-testid="thread-message" data-direction={m.direction}>
      <div className={cx('max-w-[85%] rounded-2xl px-3.5 py-2 shadow-sm sm:max-w-[75%]', out ? 'rounded-br-sm bg-indigo-600 text-white' : 'rounded-bl-sm bg-slate-100 text-slate-900')}>
        <p className="whitespace-pre-wrap text-sm [overflow-wrap:anywhere]">{m.body || <em className="opacity-70">(no text)</em>}</p>
        <div className={cx('mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-[11px]', out ? 'text-indigo-100' : 'text-slate-500')}>
          <time dateTime={m.sent_at ?? m.created_at}>{fmtDateTime(m.sent_at ?? m.created_at)}</time>
          {m.kind === 'campaign' && m.campaign_id != null && (
            <Link to={`/campaigns/${m.campaign_id}`} className={cx('underline-offset-2 hover:underline', out ? 'text-indigo-100' : 'text-slate-600')}>
              campaign #{m.campaign_id}
            </Link>
          )}
          {status && (
            <span className="rounded bg-white/90 px-1.5 py-px font-medium text-slate-700" title={status.help}>
              {status.label}
            </span>
          )}
          {m.intent && <Badge tone="violet">{m.intent}</Badge>}
        </div>
      </div>
    </li>
  );
}

export function Thread({ lead }: { lead: Pick<Lead, 'id' | 'name' | 'phone'> }) {
  const q = useInfiniteQuery({
    queryKey: ['lead-messages', lead.id],
    queryFn: ({ pageParam, signal }) => api.leadMessages(lead.id, { limit: PAGE, after: pageParam ?? undefined }, signal),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_after,
    refetchInterval: 5_000,
  });
  if (q.isLoading) return <LoadingState label="Loading messages…" />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} feature="Messages" path={`/api/leads/${lead.id}/messages`} />;
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const total = q.data?.pages[0]?.total ?? 0;
  if (items.length === 0) {
    return (
      <EmptyState title="No messages yet">
        Messages sent to {lead.name} by a campaign, and what {lead.phone} sends back, appear here.
      </EmptyState>
    );
  }
  return (
    <div>
      <p className="mb-3 text-xs text-slate-500">
        {total} {total === 1 ? 'message' : 'messages'} with <span className="font-mono">{lead.phone}</span>
      </p>
      <ol className="space-y-2" aria-label={`Messages with ${lead.name}`}>
        {items.map((m) => (
          <Bubble key={m.id} m={m} />
        ))}
      </ol>
      {q.hasNextPage && (
        <div className="mt-3 text-center">
          <Button size="sm" variant="secondary" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? 'Loading…' : 'Newer messages'}
          </Button>
        </div>
      )}
    </div>
  );
}
