// API keys (admin keys only): the list, a new key (shown once, with a copy button), and
// revocation now or after an overlap window (DELETE /api/keys/{id}?after=SECONDS).
import { useId, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, errorMessage, type ApiKey, type ApiKeyCreated, type ApiKeyRole } from '../api';
import { Alert, Badge, Button, Card, CardHeader, ConfirmDialog, EmptyState, Field, PageHeader, Select, TextInput, cx } from '../components/ui';
import { DataTable, PagedList, Th } from '../components/list';
import { useToast } from '../components/toast';
import { fmtDateTime, fmtInt } from '../lib/format';
import { useLocalKeyset } from '../lib/useListParams';

const PAGE_SIZE = 50;

const ROLES: { value: ApiKeyRole; label: string; help: string }[] = [
  { value: 'viewer', label: 'Viewer', help: 'reads everything, changes nothing' },
  { value: 'operator', label: 'Operator', help: 'also manages leads and campaigns' },
  { value: 'admin', label: 'Admin', help: 'also manages API keys' },
];

/** When a revocation takes effect: now, or after an overlap while clients move to a new key. */
export const REVOKE_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Now' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86400, label: 'In 24 hours' },
  { seconds: 604800, label: 'In 7 days' },
];

type KeyState = 'active' | 'revoking' | 'revoked' | 'expired';

export function keyState(k: Pick<ApiKey, 'revoked_at' | 'expires_at'>, now = Date.now()): KeyState {
  const revoked = k.revoked_at ? new Date(k.revoked_at).getTime() : null;
  if (revoked !== null && revoked <= now) return 'revoked';
  if (k.expires_at && new Date(k.expires_at).getTime() <= now) return 'expired';
  if (revoked !== null) return 'revoking';
  return 'active';
}

function KeyStateBadge({ k }: { k: ApiKey }) {
  const s = keyState(k);
  if (s === 'revoked') return <Badge tone="slate" title={`Revoked ${fmtDateTime(k.revoked_at)}`}>Revoked</Badge>;
  if (s === 'expired') return <Badge tone="slate" title={`Expired ${fmtDateTime(k.expires_at)}`}>Expired</Badge>;
  if (s === 'revoking')
    return (
      <span className="inline-flex flex-col items-start gap-0.5">
        <Badge tone="amber" title={`Stops working ${fmtDateTime(k.revoked_at)}`}>
          Revoking
        </Badge>
        <span className="text-xs text-slate-500">until {fmtDateTime(k.revoked_at)}</span>
      </span>
    );
  return <Badge tone="green">Active</Badge>;
}

/** The new key, shown this once: a warning, the key, and a copy button. */
function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const keyId = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      // no clipboard (an insecure origin, a denied permission): select it for Ctrl-C
      const el = document.getElementById(keyId) as HTMLInputElement | null;
      el?.focus();
      el?.select();
      setCopied(false);
    }
  };
  return (
    <div className="space-y-3 px-4 py-4 sm:px-5" data-testid="new-key">
      <Alert tone="amber" title={`Copy the key for “${created.name}” now`}>
        This is the only time it is shown: the server keeps only its fingerprint. If it is lost, revoke it and create another.
      </Alert>
      <div className="flex flex-col gap-2 sm:flex-row">
        <label htmlFor={keyId} className="sr-only">
          The new API key
        </label>
        <input
          id={keyId}
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full min-w-0 rounded-lg border-0 bg-slate-50 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-500 focus:outline-none"
          data-testid="new-key-value"
        />
        <div className="flex gap-2">
          <Button variant="primary" onClick={() => void copy()}>
            Copy key
          </Button>
          <Button onClick={onDone}>Done</Button>
        </div>
      </div>
      <p className="text-xs text-slate-500" role="status" aria-live="polite">
        {copied === true ? 'Copied to the clipboard.' : copied === false ? 'Could not reach the clipboard: the key is selected, press Ctrl+C (⌘C).' : ''}
      </p>
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: ApiKeyCreated) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiKeyRole>('viewer');
  const [rate, setRate] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: () => api.keysCreate({ name: name.trim(), role, rate_limit: rate.trim() === '' ? null : Number(rate) }),
    onSuccess: (k) => {
      setName('');
      setRate('');
      setErrors({});
      onCreated(k);
    },
    onError: (e) => setErrors(e instanceof ApiError ? e.fieldErrors : {}),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = 'Give the key a name (who or what uses it).';
    if (rate.trim() !== '' && !/^[1-9][0-9]{0,6}$/.test(rate.trim())) local.rate_limit = 'A whole number of requests per second, from 1 to 1000000.';
    setErrors(local);
    if (Object.keys(local).length === 0) create.mutate();
  };
  const general = create.error && !(create.error instanceof ApiError && Object.keys(create.error.fieldErrors).length) ? errorMessage(create.error) : null;
  return (
    <form onSubmit={submit} noValidate className="space-y-4 px-4 py-4 sm:px-5" aria-label="New API key">
      {general && <Alert>{general}</Alert>}
      <div className="grid gap-4 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)]">
        <Field label="Name" required error={errors.name} hint="Who or what uses it, e.g. “CRM sync”">
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="name" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} aria-describedby={describedBy} aria-required invalid={invalid} autoComplete="off" />
          )}
        </Field>
        <Field label="Role" error={errors.role} hint={ROLES.find((r) => r.value === role)?.help}>
          {({ id, describedBy, invalid }) => (
            <Select id={id} name="role" value={role} onChange={(e) => setRole(e.target.value as ApiKeyRole)} aria-describedby={describedBy} invalid={invalid}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Rate limit (optional)" error={errors.rate_limit} hint="Requests per second; empty: the server's default">
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="rate_limit" inputMode="numeric" value={rate} onChange={(e) => setRate(e.target.value)} aria-describedby={describedBy} invalid={invalid} placeholder="100" />
          )}
        </Field>
      </div>
      <div className="flex justify-end">
        <Button type="submit" variant="primary" busy={create.isPending}>
          Create key
        </Button>
      </div>
    </form>
  );
}

function RevokeDialog({ k, isOwn, onClose, onRevoked }: { k: ApiKey; isOwn: boolean; onClose: () => void; onRevoked: (seconds: number) => void }) {
  const name = useId();
  const [seconds, setSeconds] = useState(0);
  const revoke = useMutation({
    mutationFn: () => api.keysRevoke(k.id, seconds),
    onSuccess: () => onRevoked(seconds),
  });
  return (
    <ConfirmDialog
      title={`Revoke “${k.name}”?`}
      confirmLabel="Revoke key"
      onConfirm={() => revoke.mutate()}
      onClose={onClose}
      busy={revoke.isPending}
      error={revoke.error}
      form
    >
      <fieldset>
        <legend className="font-medium text-slate-700">When it stops working</legend>
        <p className="mt-0.5 text-xs text-slate-500">An overlap gives the clients that use it time to switch to a new key.</p>
        <div className="mt-2 grid grid-cols-2 gap-2">
          {REVOKE_CHOICES.map((c) => (
            <label
              key={c.seconds}
              className={cx('flex cursor-pointer items-center gap-2 rounded-lg px-3 py-2 ring-1 ring-inset', seconds === c.seconds ? 'bg-indigo-50 ring-indigo-500' : 'ring-slate-200 hover:bg-slate-50')}
            >
              <input type="radio" name={name} value={c.seconds} checked={seconds === c.seconds} onChange={() => setSeconds(c.seconds)} className="h-4 w-4 accent-indigo-600" />
              {c.label}
            </label>
          ))}
        </div>
      </fieldset>
      {isOwn && (
        <Alert tone="amber">This is the key this browser uses: once it stops working you will be asked for another.</Alert>
      )}
    </ConfirmDialog>
  );
}

export default function KeysPage() {
  const qc = useQueryClient();
  const toast = useToast();
  // keyset pages (after = the last key of the page)
  const keyset = useLocalKeyset();
  const after = keyset.after ? Number(keyset.after) : undefined;
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const me = useQuery({ queryKey: ['keys', 'me'], queryFn: ({ signal }) => api.keysMe(signal), staleTime: 30_000, retry: false });
  const keys = useQuery({
    queryKey: ['keys', 'list', { after }],
    queryFn: ({ signal }) => api.keys({ limit: PAGE_SIZE, after }, signal),
    placeholderData: keepPreviousData,
    // once the key is known to be an admin key (or the server cannot say: then the list answers)
    enabled: me.data?.role === 'admin' || me.isError,
    retry: false,
  });

  const notAdmin = me.data && me.data.role !== 'admin';
  const data = keys.data;
  return (
    <>
      <PageHeader title="API keys" description="Keys for the API and this web UI. Only admin keys can manage them." />

      {notAdmin ? (
        <Card>
          <EmptyState title="Only admin keys can manage API keys">
            This browser uses a {me.data?.role} key{me.data?.name ? ` (“${me.data.name}”)` : ''}. Ask an admin for a key, or sign in with an admin key (Forget API key, then enter it).
          </EmptyState>
        </Card>
      ) : (
        <div className="space-y-6">
          <Card aria-labelledby="new-key-title">
            <CardHeader id="new-key-title" title="New key" subtitle="The key is shown once, right after it is made." />
            {created ? (
              <NewKey created={created} onDone={() => setCreated(null)} />
            ) : (
              <CreateKeyForm
                onCreated={(k) => {
                  setCreated(k);
                  toast(`Created the ${k.role} key ${k.name}`);
                  void qc.invalidateQueries({ queryKey: ['keys', 'list'] });
                }}
              />
            )}
          </Card>

          <Card aria-labelledby="keys-title">
            <CardHeader id="keys-title" title="Keys" subtitle={data ? `${fmtInt(data.total)} in total, revoked ones included` : undefined} />
            <PagedList
              query={keys}
              loading={keys.isLoading || (me.isPending && !data)}
              loadingLabel="Loading API keys…"
              feature="API keys"
              path="/api/keys"
              paging={{ limit: PAGE_SIZE, offset: 0, onOffset: () => undefined }}
              keyset={keyset}
              label="keys"
              empty={<EmptyState title="No API keys yet" />}
            >
              {(page) => (
                <DataTable
                  testId="keys-table"
                  caption="API keys"
                  head={
                    <>
                      <Th className="px-4 sm:px-5">Name</Th>
                      <Th className="hidden px-4 sm:table-cell">Role</Th>
                      <Th className="hidden px-4 md:table-cell">Prefix</Th>
                      <Th className="hidden px-4 lg:table-cell">Created</Th>
                      <Th className="hidden px-4 lg:table-cell">Last used</Th>
                      <Th className="hidden px-4 xl:table-cell">Expires</Th>
                      <Th className="px-2 sm:px-4">Status</Th>
                      <Th className="pl-1 pr-3 text-right sm:px-5" srOnly>
                        Actions
                      </Th>
                    </>
                  }
                >
                  {page.items.map((k) => {
                    const state = keyState(k);
                    const own = me.data?.id === k.id;
                    return (
                      <tr key={k.id} className={cx(state === 'revoked' || state === 'expired' ? 'text-slate-500' : 'text-slate-700')}>
                        <td className="px-4 py-3 sm:px-5">
                          <div className="max-w-[14rem] font-medium text-slate-900 [overflow-wrap:anywhere] sm:max-w-xs">
                            {k.name}
                            {own && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-700">this browser</span>}
                          </div>
                          <div className="text-xs capitalize text-slate-500 sm:hidden">{k.role}</div>
                          {k.rate_limit !== null && <div className="text-xs text-slate-500">{fmtInt(k.rate_limit)} requests/s</div>}
                        </td>
                        <td className="hidden px-4 py-3 capitalize sm:table-cell">{k.role}</td>
                        <td className="hidden whitespace-nowrap px-4 py-3 font-mono text-xs md:table-cell">{k.key_prefix}…</td>
                        <td className="hidden whitespace-nowrap px-4 py-3 text-xs lg:table-cell">{fmtDateTime(k.created_at)}</td>
                        <td className="hidden whitespace-nowrap px-4 py-3 text-xs lg:table-cell">{k.last_used_at ? fmtDateTime(k.last_used_at) : 'Never'}</td>
                        <td className="hidden whitespace-nowrap px-4 py-3 text-xs xl:table-cell">{k.expires_at ? fmtDateTime(k.expires_at) : 'Never'}</td>
                        <td className="px-2 py-3 sm:px-4">
                          <KeyStateBadge k={k} />
                        </td>
                        <td className="whitespace-nowrap py-3 pl-1 pr-3 text-right sm:px-5">
                          {state === 'active' || state === 'revoking' ? (
                            <Button size="sm" variant="ghost" className="!text-red-600 hover:!bg-red-50" onClick={() => setRevoking(k)} aria-label={`${state === 'revoking' ? 'Revoke sooner' : 'Revoke'}: ${k.name}`}>
                              {state === 'revoking' ? 'Revoke sooner' : 'Revoke'}
                            </Button>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </DataTable>
              )}
            </PagedList>
          </Card>
        </div>
      )}

      {revoking && (
        <RevokeDialog
          k={revoking}
          isOwn={me.data?.id === revoking.id}
          onClose={() => setRevoking(null)}
          onRevoked={(seconds) => {
            const when = REVOKE_CHOICES.find((c) => c.seconds === seconds)?.label.toLowerCase() ?? `in ${seconds} s`;
            toast(seconds === 0 ? `Revoked ${revoking.name}` : `${revoking.name} stops working ${when}`);
            setRevoking(null);
            void qc.invalidateQueries({ queryKey: ['keys'] });
          }}
        />
      )}
    </>
  );
}
