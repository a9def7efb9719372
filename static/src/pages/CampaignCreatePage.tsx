import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, ApiError, errorMessage, fieldOf } from '../api';
import { Alert, Button, Card, ErrorState, LoadingState, PageHeader } from '../components/ui';
import {
  CampaignSettingsFields,
  LeadSelector,
  PROMPT_MAX,
  TEMPLATE_MAX,
  defaultSelection,
  defaultSettings,
  selectionToInput,
  settingsToInput,
  type LeadSelection,
  type SettingsValues,
} from '../components/CampaignForm';
import { BackToCampaigns } from '../components/campaign';
import { useToast } from '../components/toast';

export default function CampaignCreatePage() {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const toast = useToast();
  const [settings, setSettings] = useState<SettingsValues>(defaultSettings);
  const [selection, setSelection] = useState<LeadSelection>(defaultSelection);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  // Is the campaigns API there at all? (a clear "not available" instead of a form that can't work)
  const probe = useQuery({ queryKey: ['campaigns', 'list', { probe: true }], queryFn: ({ signal }) => api.listCampaigns({ limit: 1 }, signal) });

  const create = useMutation({
    mutationFn: () => api.createCampaign({ ...settingsToInput(settings), ...selectionToInput(selection) }),
    onSuccess: (c) => {
      toast(`Created campaign ${c.name}`);
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      navigate(`/campaigns/${c.id}`, { state: { preview: true } });
    },
    onError: (e) => {
      if (e instanceof ApiError && e.errors.length > 0) {
        setErrors(e.fieldErrors);
        const known = new Set(['name', 'description', 'agent_type', 'sms_system_prompt', 'sms_template', 'sender_name', 'sms_temperature', 'voice_system_prompt', 'voice_temperature', 'calls_per_second', 'call_delay_seconds', 'call_if_no_reply', 'messages_per_second', 'send_window', 'max_send_errors', 'max_filtered', 'exclude_messaged_within_hours', 'sender_ids', 'reply_mode', 'reply_prompt', 'lead_ids', 'lead_filter', 'lead_count', 'leads']);
        const other = e.errors.filter((x) => !known.has(fieldOf(x.loc) ?? ''));
        setFormError(other.length ? other.map((x) => x.msg).join('; ') : 'Please correct the highlighted fields.');
      } else {
        setErrors({});
        setFormError(errorMessage(e));
      }
    },
  });

  useEffect(() => {
    const first = ['name', 'voice_system_prompt', 'calls_per_second', 'call_delay_seconds', 'sms_template', 'sms_system_prompt', 'lead_filter', 'lead_count'].find((f) => errors[f]);
    if (first) formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
  }, [errors]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setErrors({});
    if (settings.sms_system_prompt.length > PROMPT_MAX) {
      setErrors({ sms_system_prompt: `At most ${PROMPT_MAX} characters.` });
      return;
    }
    if (settings.sms_template.length > TEMPLATE_MAX) {
      setErrors({ sms_template: `At most ${TEMPLATE_MAX} characters.` });
      return;
    }
    const voice = settings.agent_type === 'voice';
    if (voice && settings.voice_system_prompt.length > PROMPT_MAX) {
      setErrors({ voice_system_prompt: `At most ${PROMPT_MAX} characters.` });
      return;
    }
    if (voice && settings.voice_system_prompt.trim() === '' && settings.sms_template.trim() === '' && settings.sms_system_prompt.trim() === '') {
      setErrors({ voice_system_prompt: 'Say what the calls should say (or give the SMS template or instructions of the fallback below).' });
      return;
    }
    if (!voice && settings.sms_template.trim() === '' && settings.sms_system_prompt.trim() === '') {
      setErrors({ sms_template: 'Write the message as a template, or give the writer instructions below.' });
      return;
    }
    if (selection.mode === 'ids' && selection.ids.length === 0) {
      setErrors({ lead_ids: 'Pick at least one lead.' });
      return;
    }
    create.mutate();
  };

  return (
    <>
      <BackToCampaigns />
      <PageHeader title="New campaign" description="It starts as a draft: preview the message (or a voice campaign's call script), then start or schedule it." />
      {probe.isLoading ? (
        <LoadingState />
      ) : probe.error ? (
        <Card>
          <ErrorState error={probe.error} onRetry={() => void probe.refetch()} feature="Creating campaigns" path="/api/campaigns" />
        </Card>
      ) : (
        <form ref={formRef} onSubmit={submit} noValidate className="grid gap-6 lg:grid-cols-5" aria-label="New campaign">
          <Card className="p-4 sm:p-6 lg:col-span-3">
            <CampaignSettingsFields values={settings} onChange={setSettings} errors={errors} />
          </Card>
          <div className="space-y-6 lg:col-span-2">
            <Card className="p-4 sm:p-6">
              <LeadSelector value={selection} onChange={setSelection} errors={errors} />
            </Card>
            {formError && <Alert>{formError}</Alert>}
            <div className="flex flex-wrap justify-end gap-2">
              <Link to="/campaigns" className="inline-flex items-center rounded-lg px-3.5 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100">
                Cancel
              </Link>
              <Button type="submit" variant="primary" busy={create.isPending}>
                Create draft &amp; preview
              </Button>
            </div>
          </div>
        </form>
      )}
    </>
  );
}
