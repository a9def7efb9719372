// Voice campaigns: the form's agent types (Voice call, and Both: an SMS, then a call after it),
// a voice campaign's call script, voice temperature and calls per second (sent only when
// changed); the detail page's Calls card (outcomes, minutes, cost, a chart with its table), each
// voice lead's call status, duration and script (in its row and its log); the preview of a call
// script (words and spoken length instead of segments); the dashboard's calls.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import CampaignCreatePage from '../pages/CampaignCreatePage';
import DashboardPage from '../pages/DashboardPage';
import PreviewPanel, { scriptLengthText } from '../components/PreviewPanel';
import { CALL_OPTOUT, defaultSettings, settingsFromCampaign, settingsToInput } from '../components/CampaignForm';
import { callOutcomes, callStatusMeta } from '../lib/status';
import { fmtCallDuration, fmtCallsPerSecond, fmtSpoken } from '../lib/format';
import type { Campaign } from '../api';
import { campaign, lead, mockApi, mockCampaignDetail, page, renderAsUser, renderCampaignDetail, renderWithProviders, sender, type MockCall } from './helpers';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const SCRIPT = (first: string) =>
  `Hi ${first}, it's Sam from Acme Dental. You're invited to our open day on Saturday. ${CALL_OPTOUT}`;

const calls = (over: Record<string, number> = {}) => ({
  placed: 8, answered: 1, voicemail: 1, no_answer: 1, busy: 1, failed: 2, in_progress: 1, minutes: 1.1, cost: 0.013, ...over,
});

const voiceCampaign = (id: number, over: Record<string, unknown> = {}) =>
  campaign(id, {
    agent_type: 'voice',
    status: 'completed',
    sms_system_prompt: null,
    voice_system_prompt: 'Invite them to our open day on Saturday at Acme Dental.',
    voice_temperature: 40,
    calls_per_second: 1,
    sender_ids: null,
    senders: [],
    send_rate: { segments_per_second: null, messages_per_second: null, effective_messages_per_second: 1, limited_by: 'campaign' },
    eta_seconds: null,
    stats: { sent: 5, delivered: 2, undelivered: 1, total: 8, total_messages_sent: 7, total_messages_failed: 1, total_segments: 0, total_cost: 0, calls: calls() },
    ...over,
  });

/** A campaign lead of a voice campaign: its call and script, no SMS. */
const callLead = (id: number, name: string, over: Record<string, unknown> = {}) => ({
  ...lead(id, { name }),
  id: 100 + id,
  lead_id: id,
  status: 'delivered',
  sms_sent: false,
  sms_message: null,
  sms_segments: null,
  sms_cost: null,
  voice_call_made: true,
  call_status: 'completed',
  call_sid: `CA${id}`,
  call_script: SCRIPT(name.split(' ')[0]),
  call_words: 22,
  call_duration: 42,
  call_answered_by: 'human',
  call_cost: '0.0130',
  error_message: null,
  trace_id: null,
  processed_at: '2026-03-04T09:30:00+00:00',
  ...over,
});

describe('voice formats and words', () => {
  it('a call lasts "0:42", a script is spoken in "about 17 s", calls go at "1 call/s"', () => {
    expect(fmtCallDuration(42)).toBe('0:42');
    expect(fmtCallDuration(65)).toBe('1:05');
    expect(fmtCallDuration(3723)).toBe('1:02:03');
    expect(fmtCallDuration(null)).toBe('—');
    expect(fmtSpoken(17)).toBe('about 17 s');
    expect(fmtSpoken(65)).toBe('about 1 min 5 s');
    expect(fmtCallsPerSecond(1)).toBe('1 call/s');
    expect(fmtCallsPerSecond('2.5')).toBe('2.5 calls/s');
    expect(scriptLengthText({ message: 'x', words: 42, spoken_seconds: 17 })).toBe('42 words · about 17 s spoken');
    expect(scriptLengthText({ message: 'one two  three ' })).toBe('3 words · about 1 s spoken');
  });

  it('names each call status in words; a completed call by who answered', () => {
    expect(callStatusMeta('completed', 'human').label).toBe('Answered');
    expect(callStatusMeta('completed', null).label).toBe('Answered');
    expect(callStatusMeta('completed', 'machine_end_beep').label).toBe('Voicemail');
    expect(callStatusMeta('no-answer').label).toBe('No answer');
    expect(callStatusMeta('busy').label).toBe('Busy');
    expect(callStatusMeta('failed').label).toBe('Failed');
    expect(callStatusMeta('ringing').label).toBe('Ringing');
    expect(callStatusMeta('calling').label).toBe('Calling');
    expect(callStatusMeta('logged').label).toBe('Logged (offline)');
    expect(callStatusMeta('scheduled').label).toBe('Call scheduled');
    expect(callStatusMeta('skipped').label).toBe('Call skipped');
  });

  it('the outcomes add up to the calls placed: what is left is "Logged or unknown"', () => {
    expect(callOutcomes(calls()).map((o) => [o.key, o.n])).toEqual([
      ['answered', 1], ['voicemail', 1], ['no_answer', 1], ['busy', 1], ['failed', 2], ['in_progress', 1], ['other', 1],
    ]);
    const logged = callOutcomes(calls({ placed: 3, answered: 0, voicemail: 0, no_answer: 0, busy: 0, failed: 0, in_progress: 0 }));
    expect(logged.find((o) => o.key === 'other')).toMatchObject({ label: 'Logged or unknown', n: 3 });
  });
});

describe('Campaign form: voice', () => {
  it('sends the voice fields only for a voice campaign, and only when they changed', () => {
    expect(defaultSettings).toMatchObject({ voice_system_prompt: '', voice_temperature: 70, calls_per_second: '1' });
    const sms = settingsToInput({ ...defaultSettings, name: 'x', voice_system_prompt: 'typed, then SMS chosen', calls_per_second: '3' });
    expect(sms).not.toHaveProperty('voice_system_prompt');
    expect(sms).not.toHaveProperty('calls_per_second');
    const untouched = settingsToInput({ ...defaultSettings, agent_type: 'voice' });
    expect(untouched.agent_type).toBe('voice');
    expect(untouched).not.toHaveProperty('voice_system_prompt');
    expect(untouched).not.toHaveProperty('voice_temperature');
    expect(untouched).not.toHaveProperty('calls_per_second');
    expect(settingsToInput({ ...defaultSettings, agent_type: 'voice', voice_system_prompt: 'Invite them', voice_temperature: 40, calls_per_second: '2.5' })).toMatchObject({
      voice_system_prompt: 'Invite them',
      voice_temperature: 40,
      calls_per_second: 2.5,
    });
    const from = settingsFromCampaign(voiceCampaign(1) as unknown as Campaign);
    expect(from).toMatchObject({ agent_type: 'voice', voice_system_prompt: 'Invite them to our open day on Saturday at Acme Dental.', voice_temperature: 40, calls_per_second: '1' });
    const same = settingsToInput({ ...from, calls_per_second: '1.0' }, from);
    expect(same).not.toHaveProperty('voice_system_prompt');
    expect(same).not.toHaveProperty('voice_temperature');
    expect(same).not.toHaveProperty('calls_per_second');
    expect(settingsToInput({ ...from, voice_system_prompt: ' ' }, from).voice_system_prompt).toBeNull();
  });

  function createServer() {
    return mockApi((c) => {
      if (c.url === '/api/senders') return { status: 200, json: { items: [sender(1)], total: 1 } };
      if (c.url.startsWith('/api/settings'))
        return { status: 200, json: { writer: { kind: 'builtin', model: null, host: null, label: 'Built-in writer (offline)' }, sms_provider: 'log', default_country: null, max_segments: 2, price_per_segment: 0.0079, optout_footer: 'Reply STOP to opt out' } };
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1), lead(2)], 2) };
      if (c.method === 'GET' && c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      if (c.method === 'POST' && c.url === '/api/campaigns') return { status: 201, json: { id: 5, name: 'Open day' } };
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

  it('Voice call shows the call script, voice temperature and calls per second instead of the SMS-only fields', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Open day');
    // SMS first: the SMS fields, none of the voice ones
    expect(screen.getByLabelText(/^Temperature/)).toBeInTheDocument();
    expect(screen.queryByLabelText(/^Call script/)).toBeNull();
    await user.click(screen.getByRole('radio', { name: /^Voice call/ }));
    const box = screen.getByTestId('campaign-form-voice');
    expect(within(box).getByRole('heading', { name: 'What the calls say' })).toBeInTheDocument();
    const script = within(box).getByLabelText(/^Call script/);
    expect(script).toHaveAccessibleDescription(/greets the lead by name, at most 80 words/);
    expect(script).toHaveAccessibleDescription(new RegExp(`always ends with “${CALL_OPTOUT.replace(/\./g, '\\.')}”`));
    expect(await within(box).findByTestId('writer-badge')).toHaveTextContent('Call scripts are written by');
    const cps = within(box).getByLabelText('Calls per second');
    expect(cps).toHaveValue(1);
    expect(cps).toHaveAccessibleDescription(/Twilio's default is 1 call per second \(CPS\)/);
    expect(within(box).getByLabelText(/^Voice temperature/)).toHaveValue('70');
    // the SMS-only fields are gone; the SMS template and instructions stay, as the script's fallback
    expect(screen.queryByLabelText(/^Temperature/)).toBeNull();
    expect(screen.queryByLabelText('Messages per second')).toBeNull();
    expect(screen.queryByLabelText('Pause after N carrier-filtered messages')).toBeNull();
    expect(within(box).getByTestId('voice-sms-fallback')).toHaveTextContent('Fallback: the SMS template and instructions');
    expect(screen.getByTestId('campaign-form-senders')).toHaveTextContent('The numbers the calls go from');

    // nothing to say: refused in the browser, under the call script
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    await waitFor(() => expect(script).toHaveAttribute('aria-invalid', 'true'));
    expect(script).toHaveAccessibleDescription(/Say what the calls should say/);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    await user.type(script, 'Invite them to our open day on Saturday at Acme Dental.');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
    const body = posted(calls);
    expect(body.agent_type).toBe('voice');
    expect(body.voice_system_prompt).toBe('Invite them to our open day on Saturday at Acme Dental.');
    // left at their defaults: not sent
    expect(body).not.toHaveProperty('voice_temperature');
    expect(body).not.toHaveProperty('calls_per_second');
  });

  it('Both sends the call script instructions once written', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Open day');
    await user.click(screen.getByRole('radio', { name: /^Both/ }));
    await user.type(screen.getByLabelText(/^Message template/), 'Hi {first_name}, our open day is Saturday.');
    await user.type(within(screen.getByTestId('both-call')).getByLabelText(/^Call script/), 'Invite them to our open day on Saturday.');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
    expect(posted(calls).voice_system_prompt).toBe('Invite them to our open day on Saturday.');
  });

  it('sends calls per second when it is changed, and shows its refusal under it', async () => {
    let attempt = 0;
    const { calls } = mockApi((c) => {
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1)], 1) };
      if (c.method === 'GET' && c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      if (c.method === 'POST' && c.url === '/api/campaigns') {
        attempt += 1;
        return attempt === 1
          ? { status: 422, json: { detail: [{ loc: ['body', 'calls_per_second'], msg: 'must be between 0.001 and 10000', type: 'value_error' }] } }
          : { status: 201, json: { id: 6, name: 'Calls' } };
      }
      return undefined;
    });
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Calls');
    await user.click(screen.getByRole('radio', { name: /^Voice call/ }));
    await user.type(screen.getByLabelText(/^Call script/), 'Invite them to the open day.');
    const cps = screen.getByLabelText('Calls per second');
    await user.clear(cps);
    await user.type(cps, '20000');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    await waitFor(() => expect(cps).toHaveAttribute('aria-invalid', 'true'));
    expect(cps).toHaveAccessibleDescription('must be between 0.001 and 10000');
    expect(JSON.parse(calls.filter((c) => c.method === 'POST')[0].body!).calls_per_second).toBe(20000);
    await user.clear(cps);
    await user.type(cps, '5');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
    expect(JSON.parse(calls.filter((c) => c.method === 'POST')[1].body!).calls_per_second).toBe(5);
  });

  it('Both shows the call after the SMS, keeps the SMS fields, and sends the call fields when changed', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Open day');
    const both = screen.getByRole('radio', { name: /^Both/ });
    expect(both).toHaveAccessibleName(/An SMS, then a call with its own script/);
    expect(screen.queryByTestId('both-call')).toBeNull();
    await user.click(both);
    const box = screen.getByTestId('both-call');
    expect(within(box).getByRole('heading', { name: 'The call after the SMS' })).toBeInTheDocument();
    expect(box).toHaveAccessibleName('The call after the SMS');
    const delay = within(box).getByLabelText(/^Call after/);
    expect(delay).toHaveValue(0);
    expect(delay).toHaveAccessibleDescription(/0 = at once/);
    const noReply = within(box).getByRole('checkbox', { name: 'Only call leads who have not answered the SMS by then' });
    expect(noReply).not.toBeChecked();
    expect(within(box).getByLabelText('Calls per second')).toHaveValue(1);
    // the SMS fields stay; the call has a script of its own, written from its own instructions
    expect(screen.getByLabelText(/^Message template/)).toBeInTheDocument();
    const script = within(box).getByLabelText(/^Call script/);
    expect(script).toHaveAccessibleDescription(/Empty: the script is written from the SMS instructions/);
    expect(within(box).getByLabelText(/^Voice temperature/)).toBeInTheDocument();

    // left at their defaults: not sent
    await user.type(screen.getByLabelText(/^Message template/), 'Hi {first_name}, our open day is Saturday.');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
    const body = posted(calls);
    expect(body.agent_type).toBe('both');
    expect(body).not.toHaveProperty('call_delay_seconds');
    expect(body).not.toHaveProperty('call_if_no_reply');
    expect(body).not.toHaveProperty('calls_per_second');
    expect(body).not.toHaveProperty('voice_system_prompt');
  });

  it('Both sends the call delay, the no-reply rule and calls per second once changed; switching to Voice call hides them', async () => {
    const { calls } = createServer();
    const { user } = renderCreate();
    await user.type(await screen.findByLabelText(/^Name/), 'Open day');
    await user.click(screen.getByRole('radio', { name: /^Both/ }));
    const box = screen.getByTestId('both-call');
    const delay = within(box).getByLabelText(/^Call after/);
    await user.clear(delay);
    await user.type(delay, '3600');
    await user.click(within(box).getByRole('checkbox', { name: /Only call leads who have not answered/ }));
    const cps = within(box).getByLabelText('Calls per second');
    await user.clear(cps);
    await user.type(cps, '2');
    // Voice call: the group is gone
    await user.click(screen.getByRole('radio', { name: /^Voice call/ }));
    expect(screen.queryByTestId('both-call')).toBeNull();
    await user.click(screen.getByRole('radio', { name: /^Both/ }));
    expect(within(screen.getByTestId('both-call')).getByLabelText(/^Call after/)).toHaveValue(3600);
    await user.type(screen.getByLabelText(/^Message template/), 'Hi {first_name}, our open day is Saturday.');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
    expect(posted(calls)).toMatchObject({ agent_type: 'both', call_delay_seconds: 3600, call_if_no_reply: true, calls_per_second: 2 });
  });

  it('sends the call fields only for a both campaign, and only when they changed', () => {
    expect(defaultSettings).toMatchObject({ call_delay_seconds: '0', call_if_no_reply: false });
    const sms = settingsToInput({ ...defaultSettings, name: 'x', call_delay_seconds: '60', call_if_no_reply: true });
    expect(sms).not.toHaveProperty('call_delay_seconds');
    expect(sms).not.toHaveProperty('call_if_no_reply');
    const voice = settingsToInput({ ...defaultSettings, agent_type: 'voice', call_delay_seconds: '60', call_if_no_reply: true });
    expect(voice).not.toHaveProperty('call_delay_seconds');
    expect(voice).not.toHaveProperty('call_if_no_reply');
    const from = settingsFromCampaign(campaign(1, { agent_type: 'both', call_delay_seconds: 600, call_if_no_reply: true, calls_per_second: 1 }) as unknown as Campaign);
    expect(from).toMatchObject({ call_delay_seconds: '600', call_if_no_reply: true, calls_per_second: '1' });
    const same = settingsToInput({ ...from, call_delay_seconds: '600.0' }, from);
    expect(same).not.toHaveProperty('call_delay_seconds');
    expect(same).not.toHaveProperty('call_if_no_reply');
    expect(settingsToInput({ ...from, call_delay_seconds: '0', call_if_no_reply: false, calls_per_second: '3' }, from)).toMatchObject({ call_delay_seconds: 0, call_if_no_reply: false, calls_per_second: 3 });
  });

  it('edits a voice campaign: a new calls per second is all that is sent of the voice fields', async () => {
    const { calls } = mockCampaignDetail(voiceCampaign(40, { status: 'draft' }), {
      first: (c) => (c.method === 'PUT' ? { status: 200, json: voiceCampaign(40, { status: 'draft' }) } : undefined),
    });
    const user = userEvent.setup();
    renderCampaignDetail(40);
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit campaign' });
    expect(within(dialog).getByRole('radio', { name: /^Voice call/ })).toBeChecked();
    expect(within(dialog).getByLabelText(/^Call script/)).toHaveValue('Invite them to our open day on Saturday at Acme Dental.');
    const cps = within(dialog).getByLabelText('Calls per second');
    expect(cps).toHaveValue(1);
    await user.clear(cps);
    await user.type(cps, '2');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const body = JSON.parse(calls.find((c) => c.method === 'PUT')!.body!);
    expect(body.calls_per_second).toBe(2);
    expect(body).not.toHaveProperty('voice_system_prompt');
    expect(body).not.toHaveProperty('voice_temperature');
  });
});

describe('Campaign detail: a voice campaign', () => {
  const leads = [
    callLead(1, 'Ann Answer'),
    callLead(2, 'Val Voicemail', { call_answered_by: 'machine_end_beep', call_duration: 25 }),
    callLead(3, 'Bea Busy', { status: 'undelivered', call_status: 'busy', call_duration: 0, call_answered_by: null, call_cost: null, error_message: 'Call not connected: the line was busy' }),
    callLead(4, 'Lou Logged', { status: 'sent', call_status: 'logged', call_sid: 'LOG7', call_duration: null, call_answered_by: null, call_cost: null }),
  ];

  it('shows the Calls card: the outcome counts, minutes, cost and a chart with its table', async () => {
    mockCampaignDetail(voiceCampaign(41), { leads });
    renderCampaignDetail(41);
    const card = await screen.findByTestId('campaign-calls');
    expect(within(card).getByRole('heading', { name: 'Calls' })).toBeInTheDocument();
    expect(card).toHaveTextContent('8 calls placed');
    const tile = (id: string) => within(card).getByTestId(`calls-${id}`);
    expect(tile('placed')).toHaveTextContent('Placed8');
    expect(tile('answered')).toHaveTextContent('Answered1');
    expect(tile('voicemail')).toHaveTextContent('Voicemail1');
    expect(tile('no-answer')).toHaveTextContent('No answer1');
    expect(tile('busy')).toHaveTextContent('Busy1');
    expect(tile('failed')).toHaveTextContent('Failed2');
    expect(tile('in-progress')).toHaveTextContent('In progress1');
    expect(tile('minutes')).toHaveTextContent('Minutes1.1 min');
    expect(tile('cost')).toHaveTextContent('Cost$0.0130');
    // the chart: a figure named by its caption, bars hidden from screen readers, the numbers in a table
    const chart = within(card).getByRole('figure', { name: 'Outcomes of the 8 calls placed' });
    expect(within(chart).getByTestId('calls-chart')).toHaveAttribute('aria-hidden', 'true');
    expect(chart.querySelector('[data-call-bar=failed]')).toHaveStyle({ width: '25%' });
    const table = within(chart).getByRole('table', { name: 'Call outcomes' });
    const rows = within(table).getAllByRole('row').slice(1).map((r) => r.textContent);
    expect(rows).toEqual([
      'Answered112.5%', 'Voicemail112.5%', 'No answer112.5%', 'Busy112.5%', 'Failed225.0%', 'In progress112.5%', 'Logged or unknown112.5%',
    ]);
    // no SMS figures, and the pace is the calls'
    expect(screen.queryByTestId('sent-count')).toBeNull();
    expect(screen.getByTestId('campaign-send-rate')).toHaveTextContent('1 call/s');
    expect(screen.getByTestId('campaign-limited-by')).toHaveTextContent("Limited by this campaign's calls per second");
    expect(screen.getByTestId('calls-per-second')).toHaveTextContent('1 call/s');
    expect(screen.getByTestId('temperature')).toHaveTextContent('0.40');
    expect(screen.getByTestId('voice-prompt')).toHaveTextContent('Invite them to our open day on Saturday at Acme Dental.');
    expect(screen.queryByTestId('max-filtered')).toBeNull();
  });

  it('shows each lead with its call status, duration and script instead of an SMS', async () => {
    mockCampaignDetail(voiceCampaign(42), { leads });
    renderCampaignDetail(42);
    const table = await screen.findByTestId('campaign-leads-table');
    expect(within(table).getByRole('columnheader', { name: 'Lead and call script' })).toBeInTheDocument();
    expect(within(table).queryByRole('columnheader', { name: 'Seg.' })).toBeNull();
    const rows = await within(table).findAllByTestId('campaign-lead-row');
    expect(rows).toHaveLength(4);
    const [ann, val, bea, lou] = rows;
    expect(within(ann).getByTestId('call-script')).toHaveTextContent(SCRIPT('Ann'));
    expect(within(ann).getByTestId('call-status')).toHaveTextContent('Answered');
    expect(within(ann).getByTestId('call-duration')).toHaveTextContent('0:42');
    expect(ann).toHaveTextContent('$0.0130');
    expect(within(val).getByTestId('call-status')).toHaveTextContent('Voicemail');
    expect(within(val).getByTestId('call-duration')).toHaveTextContent('0:25');
    expect(within(bea).getByTestId('call-status')).toHaveTextContent('Busy');
    expect(bea).toHaveTextContent('Call not connected: the line was busy');
    expect(within(lou).getByTestId('call-status')).toHaveTextContent('Logged (offline)');
    expect(within(lou).queryByTestId('call-duration')).toBeNull();
    expect(within(table).queryAllByTestId('lead-message')).toHaveLength(0);
  });

  it("a voice lead's log shows its call and script", async () => {
    mockCampaignDetail(voiceCampaign(43), { leads });
    const user = userEvent.setup();
    renderCampaignDetail(43);
    await user.click(await screen.findByRole('button', { name: 'Open the log of Ann Answer' }));
    const dialog = screen.getByRole('dialog', { name: 'Ann Answer' });
    const call = within(dialog).getByTestId('lead-call');
    expect(within(call).getByTestId('call-status')).toHaveTextContent('Answered');
    expect(within(call).getByTestId('call-duration')).toHaveTextContent('0:42');
    expect(within(dialog).getByTestId('call-script')).toHaveTextContent(SCRIPT('Ann'));
    expect(dialog).toHaveTextContent('Call script · 22 words');
    expect(dialog).toHaveTextContent('Call SID CA1');
    expect(within(dialog).queryByText('Segments')).toBeNull();
  });

  it('a voice draft offers a call script preview; an SMS campaign has no Calls card', async () => {
    mockCampaignDetail(voiceCampaign(44, { status: 'draft', stats: { pending: 2, total: 2, calls: calls({ placed: 0, answered: 0, voicemail: 0, no_answer: 0, busy: 0, failed: 0, in_progress: 0, minutes: 0, cost: 0 }) } }), {
      leads: [callLead(1, 'Ann Answer', { status: 'pending', voice_call_made: false, call_status: null, call_script: null, call_duration: null, call_cost: null })],
    });
    const first = renderCampaignDetail(44);
    expect(await screen.findByRole('heading', { name: 'Call script preview' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Preview call script' })).toBeInTheDocument();
    expect(screen.getByTestId('campaign-calls')).toHaveTextContent('No call placed yet');
    expect(within(screen.getByTestId('campaign-calls')).queryByRole('figure')).toBeNull();
    first.unmount();
    vi.unstubAllGlobals();
    mockCampaignDetail(campaign(45, { stats: { pending: 1, total: 1, calls: null } }));
    renderCampaignDetail(45);
    expect(await screen.findByRole('heading', { name: 'Message preview' })).toBeInTheDocument();
    expect(screen.queryByTestId('campaign-calls')).toBeNull();
  });
});

describe('Campaign detail: a both campaign', () => {
  const bothCampaign = (id: number, over: Record<string, unknown> = {}) =>
    campaign(id, {
      agent_type: 'both',
      status: 'processing',
      call_delay_seconds: 5400,
      call_if_no_reply: true,
      calls_per_second: 1,
      stats: { sent: 3, delivered: 2, total: 3, total_messages_sent: 3, total_messages_failed: 0, total_segments: 3, total_cost: 0.0237, calls: calls({ placed: 1, answered: 1, voicemail: 0, no_answer: 0, busy: 0, failed: 0, in_progress: 0, minutes: 0.7, cost: 0.013, scheduled: 1 }) },
      ...over,
    });
  const smsLead = (id: number, name: string, over: Record<string, unknown> = {}) => ({
    ...lead(id, { name }),
    id: 100 + id,
    lead_id: id,
    status: 'delivered',
    sms_sent: true,
    sms_message: `Hi ${name.split(' ')[0]}, our open day is Saturday. Reply STOP to opt out`,
    sms_segments: 1,
    sms_cost: 0.0079,
    call_status: null,
    call_script: null,
    call_duration: null,
    call_cost: null,
    ...over,
  });

  it('shows the Calls card with the scheduled calls, the delay and no-reply rule, and each lead\'s SMS with its call', async () => {
    mockCampaignDetail(bothCampaign(46), {
      leads: [
        smsLead(1, 'Ann Answer', { call_status: 'completed', call_answered_by: 'human', call_duration: 42, call_script: SCRIPT('Ann'), call_cost: 0.013 }),
        smsLead(2, 'Sam Scheduled', { call_status: 'scheduled' }),
        smsLead(3, 'Rita Replied', { call_status: 'skipped' }),
        smsLead(4, 'Nina None'),
      ],
    });
    renderCampaignDetail(46);
    const card = await screen.findByTestId('campaign-calls');
    expect(card).toHaveTextContent('1 call placed');
    expect(within(card).getByTestId('calls-scheduled')).toHaveTextContent('Scheduled1');
    expect(screen.getByTestId('sent-count')).toHaveTextContent('3');
    expect(screen.getByTestId('call-delay')).toHaveTextContent('1 h 30 min later');
    expect(screen.getByTestId('call-if-no-reply')).toHaveTextContent('Only leads who have not answered the SMS');
    expect(screen.queryByText(/SMS only/)).toBeNull();
    const table = await screen.findByTestId('campaign-leads-table');
    const [ann, sam, rita, nina] = await within(table).findAllByTestId('campaign-lead-row');
    expect(within(ann).getByTestId('lead-message')).toHaveTextContent('Hi Ann, our open day is Saturday.');
    // the call's own script, under the SMS
    expect(within(ann).getByTestId('call-script')).toHaveTextContent(SCRIPT('Ann'));
    expect(within(ann).getByTestId('call-status')).toHaveTextContent('Answered');
    expect(within(ann).getByTestId('call-duration')).toHaveTextContent('0:42');
    expect(within(sam).getByTestId('call-status')).toHaveTextContent('Call scheduled');
    expect(within(rita).getByTestId('call-status')).toHaveTextContent('Call skipped');
    expect(within(nina).queryByTestId('call-status')).toBeNull();
  });

  it('a both draft shows its Calls card with no call yet, calling at once', async () => {
    mockCampaignDetail(bothCampaign(47, { status: 'draft', call_delay_seconds: 0, call_if_no_reply: false, stats: { pending: 1, total: 1, calls: calls({ placed: 0, answered: 0, voicemail: 0, no_answer: 0, busy: 0, failed: 0, in_progress: 0, minutes: 0, cost: 0, scheduled: 0 }) } }));
    renderCampaignDetail(47);
    expect(await screen.findByTestId('campaign-calls')).toHaveTextContent('No call placed yet');
    expect(screen.getByTestId('call-delay')).toHaveTextContent('At once');
    expect(screen.getByTestId('call-if-no-reply')).toHaveTextContent('Every lead sent the SMS');
  });
});

describe('PreviewPanel: a call script', () => {
  it('shows the script with its words and spoken length, not segments and encoding', async () => {
    const script = SCRIPT('Ada');
    mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([{ id: 11, lead_id: 1, name: 'Ada Lovelace', phone: '+447700900001', status: 'pending' }]) };
      if (c.url === '/api/campaigns/3/preview')
        return {
          status: 200,
          json: {
            campaign_id: 3, lead_id: 1, message: script, encoding: 'GSM-7', segments: 2, characters: script.length, cost: 0.0158,
            model: null, truncated: false, validation_errors: [], valid: true, kind: 'call_script', words: 42, spoken_seconds: 17,
            writer: { kind: 'builtin', model: null, host: null, label: 'Built-in writer (offline)' }, empty_placeholders: [], plan: null,
          },
        };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3, { agent_type: 'voice' }) as never} autoRun />);
    const msg = await screen.findByTestId('preview-message');
    expect(msg).toHaveTextContent(script);
    expect(msg).toHaveAttribute('data-kind', 'call_script');
    expect(screen.getByTestId('preview-script')).toHaveTextContent('What the call says');
    expect(screen.getByTestId('preview-script-length')).toHaveTextContent('42 words · about 17 s spoken');
    expect(screen.queryByTestId('preview-segments')).toBeNull();
    expect(screen.queryByText('Encoding')).toBeNull();
    expect(screen.queryByText('$0.0158')).toBeNull();
    expect(screen.getByRole('button', { name: 'Preview again' })).toBeInTheDocument();
  });

  it('an SMS preview still shows its segments', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([{ id: 11, lead_id: 1, name: 'Ada Lovelace', phone: '+447700900001', status: 'pending' }]) };
      if (c.url === '/api/campaigns/3/preview')
        return { status: 200, json: { campaign_id: 3, lead_id: 1, message: 'Hi Ada. Reply STOP to opt out', encoding: 'GSM-7', segments: 1, cost: 0.0079, kind: 'sms', words: 6, spoken_seconds: 2 } };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3) as never} autoRun />);
    expect(await screen.findByTestId('preview-segments')).toHaveTextContent('1');
    expect(screen.queryByTestId('preview-script-length')).toBeNull();
  });

  it('a both preview shows the SMS, then the call\'s own script with its length', async () => {
    const script = SCRIPT('Ada');
    mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([{ id: 11, lead_id: 1, name: 'Ada Lovelace', phone: '+447700900001', status: 'pending' }]) };
      if (c.url === '/api/campaigns/3/preview')
        return {
          status: 200,
          json: {
            campaign_id: 3, lead_id: 1, message: 'Hi Ada, our open day is Saturday. Reply STOP to opt out', encoding: 'GSM-7', segments: 1, cost: 0.0079,
            kind: 'sms', words: 11, spoken_seconds: 4, call_script: { message: script, words: 42, spoken_seconds: 17, error: null },
          },
        };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3, { agent_type: 'both' }) as never} autoRun />);
    expect(await screen.findByTestId('preview-segments')).toHaveTextContent('1');
    const call = screen.getByTestId('preview-call-script');
    expect(call).toHaveTextContent('Then the call says');
    expect(call).toHaveTextContent(script);
    expect(screen.getByTestId('preview-call-script-length')).toHaveTextContent('42 words · about 17 s spoken');
  });
});

describe('Dashboard: calls', () => {
  const stats = (extra: Record<string, unknown>) => ({
    total_leads: 10, total_campaigns: 2, campaigns_by_status: { completed: 2 }, total_messages_sent: 5, total_messages_failed: 0,
    total_messages_pending: 0, total_segments: 5, total_cost: 0.04, success_rate: 100, messages_per_hour: [], ...extra,
  });
  const serve = (s: unknown) =>
    mockApi((c) => {
      if (c.url === '/api/dashboard/stats') return { status: 200, json: s };
      if (c.url.startsWith('/api/dashboard/recent-campaigns')) return { status: 200, json: page([]) };
      return undefined;
    });

  it('shows the calls placed with their outcomes and minutes once there are calls', async () => {
    serve(stats({ calls: { placed: 12, answered: 5, voicemail: 3, not_connected: 4, minutes: 6.5, cost: 0.156 } }));
    renderWithProviders(<DashboardPage />);
    const tile = await screen.findByTestId('dashboard-calls');
    expect(tile).toHaveTextContent('Calls placed12');
    expect(tile).toHaveTextContent('5 answered · 3 voicemail · 4 not connected · 6.5 min · $0.1560');
  });

  it('shows no calls tile while no call was placed', async () => {
    serve(stats({ calls: { placed: 0, answered: 0, voicemail: 0, not_connected: 0, minutes: 0, cost: 0 } }));
    renderWithProviders(<DashboardPage />);
    await screen.findByTestId('dashboard-stats');
    expect(screen.queryByTestId('dashboard-calls')).toBeNull();
  });
});
