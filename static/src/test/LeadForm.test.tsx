import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import LeadForm from '../components/LeadForm';
import { lead, mockApi, renderAsUser, typeNewLead } from './helpers';

describe('LeadForm', () => {
  it('shows the server 422 message next to the phone field and focuses it', async () => {
    const { calls } = mockApi(() => ({
      status: 422,
      json: { detail: [{ loc: ['body', 'phone'], msg: 'Phone number needs a country code, e.g. +1 415 555 0123', type: 'value_error' }] },
    }));
    const onSaved = vi.fn();
    const user = await typeNewLead(<LeadForm onSaved={onSaved} onCancel={() => {}} />, 'Grace Hopper', '5550123');
    await user.click(screen.getByRole('button', { name: 'Create lead' }));

    const phone = screen.getByLabelText(/^Phone/);
    await waitFor(() => expect(phone).toHaveAttribute('aria-invalid', 'true'));
    expect(phone).toHaveAccessibleDescription(/needs a country code/);
    expect(phone).toHaveFocus();
    expect(screen.getByLabelText(/^Name/)).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent(/correct the highlighted fields/i);
    expect(onSaved).not.toHaveBeenCalled();
    expect(JSON.parse(calls[0].body!)).toEqual({ name: 'Grace Hopper', phone: '5550123' });

    // typing again clears the field's error
    await user.type(phone, '4');
    expect(phone).not.toHaveAttribute('aria-invalid');
  });

  it('shows a 409 duplicate phone clearly', async () => {
    mockApi(() => ({ status: 409, json: { detail: 'Phone +14155550123 already belongs to lead 4' } }));
    const user = await typeNewLead(<LeadForm onSaved={() => {}} onCancel={() => {}} />, 'A', '+14155550123');
    await user.click(screen.getByRole('button', { name: 'Create lead' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: Phone +14155550123 already belongs to lead 4');
    expect(screen.getByLabelText(/^Phone/)).toHaveAttribute('aria-invalid', 'true');
  });

  it('edits with PUT, sending null for a cleared optional field', async () => {
    const { calls } = mockApi((c) => (c.method === 'PUT' ? { status: 200, json: lead(5, { name: 'New' }) } : undefined));
    const onSaved = vi.fn();
    const { user } = renderAsUser(<LeadForm lead={lead(5, { email: 'a@b.co' })} onSaved={onSaved} onCancel={() => {}} />);
    await user.clear(screen.getByLabelText('Email'));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0].url).toBe('/api/leads/5');
    expect(JSON.parse(calls[0].body!).email).toBeNull();
    expect(JSON.parse(calls[0].body!)).not.toHaveProperty('attributes');
  });
});

describe('LeadForm time zone', () => {
  it("shows the phone's zone as the hint and sends a zone typed in", async () => {
    const { calls } = mockApi((c) => (c.method === 'PUT' ? { status: 200, json: lead(5) } : undefined));
    const onSaved = vi.fn();
    const { user } = renderAsUser(<LeadForm lead={lead(5)} onSaved={onSaved} onCancel={() => {}} />);
    const tz = screen.getByLabelText('Time zone');
    expect(tz).toHaveValue('');
    expect(tz).toHaveAccessibleDescription(/the phone's, America\/Los_Angeles/);
    await user.type(tz, 'America/Chicago');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body!).timezone).toBe('America/Chicago');
  });

  it('clears a zone set on the lead with null and shows the 422 under the field', async () => {
    const { calls } = mockApi(() => ({
      status: 422,
      json: { detail: [{ loc: ['body', 'timezone'], msg: 'timezone must be an IANA time zone name', type: 'value_error' }] },
    }));
    const { user } = renderAsUser(
      <LeadForm lead={lead(5, { timezone: 'Europe/Paris', timezone_source: 'lead' })} onSaved={() => {}} onCancel={() => {}} />,
    );
    const tz = screen.getByLabelText('Time zone');
    expect(tz).toHaveValue('Europe/Paris');
    await user.clear(tz);
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(tz).toHaveAttribute('aria-invalid', 'true'));
    expect(JSON.parse(calls[0].body!).timezone).toBeNull();
    expect(tz).toHaveFocus();
  });
});

describe('LeadForm consent', () => {
  it('sends the consent date, source and wording; an unchanged date is not sent again', async () => {
    const { calls } = mockApi((c) => (c.method === 'POST' ? { status: 201, json: lead(9) } : { status: 200, json: lead(5) }));
    const onSaved = vi.fn();
    const user = await typeNewLead(<LeadForm onSaved={onSaved} onCancel={() => {}} />, 'Ada', '+442079460958');
    await user.type(screen.getByLabelText('Consent date'), '2026-05-01');
    await user.type(screen.getByLabelText('Consent source'), 'web_form');
    await user.type(screen.getByLabelText('Consent wording'), 'Yes, text me offers');
    await user.click(screen.getByRole('button', { name: 'Create lead' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body!)).toMatchObject({ consent_at: '2026-05-01', consent_source: 'web_form', consent_text: 'Yes, text me offers' });
  });

  it('keeps a recorded consent time when the date is not edited', async () => {
    const { calls } = mockApi(() => ({ status: 200, json: lead(5) }));
    const onSaved = vi.fn();
    const { user } = renderAsUser(
      <LeadForm lead={lead(5, { consent_at: '2026-05-01T09:30:00+00:00', consent_source: 'paper' })} onSaved={onSaved} onCancel={() => {}} />,
    );
    expect(screen.getByLabelText('Consent date')).toHaveValue('2026-05-01');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const body = JSON.parse(calls[0].body!);
    expect(body).not.toHaveProperty('consent_at');
    expect(body.consent_source).toBe('paper');
  });
});

describe('LeadForm attributes', () => {
  it('adds attributes as name/value rows on create', async () => {
    const { calls } = mockApi(() => ({ status: 201, json: lead(9) }));
    const onSaved = vi.fn();
    const user = await typeNewLead(<LeadForm onSaved={onSaved} onCancel={() => {}} />, 'Ada', '+442079460958');
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    expect(screen.getByLabelText('Attribute 1 name')).toHaveFocus();
    await user.keyboard('city');
    await user.type(screen.getByLabelText('Attribute 1 value'), 'London');
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    await user.type(screen.getByLabelText('Attribute 2 name'), 'plan');
    await user.type(screen.getByLabelText('Attribute 2 value'), 'Pro');
    await user.click(screen.getByRole('button', { name: 'Add attribute' })); // left empty: ignored
    await user.click(screen.getByRole('button', { name: 'Create lead' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body!)).toEqual({ name: 'Ada', phone: '+442079460958', attributes: { city: 'London', plan: 'Pro' } });
  });

  it('edits and removes attributes, keeping numbers and booleans as such', async () => {
    const { calls } = mockApi((c) => (c.method === 'PUT' ? { status: 200, json: lead(5) } : undefined));
    const onSaved = vi.fn();
    const { user } = renderAsUser(
      <LeadForm lead={lead(5, { attributes: { city: 'Leeds', seats: 12, trial: false } })} onSaved={onSaved} onCancel={() => {}} />,
    );
    expect(screen.getByLabelText('Attribute 1 name')).toHaveValue('city');
    expect(screen.getByLabelText('Attribute 1 value')).toHaveValue('Leeds');
    await user.click(screen.getByRole('button', { name: 'Remove city' }));
    expect(screen.getByRole('button', { name: 'Remove seats' })).toHaveFocus();
    const seats = screen.getByLabelText('Attribute 1 value');
    await user.clear(seats);
    await user.type(seats, '15');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body!).attributes).toEqual({ seats: 15, trial: false });
  });

  it('shows the server 422 for an attribute under its row and focuses it', async () => {
    mockApi(() => ({
      status: 422,
      json: { detail: [{ loc: ['body', 'attributes', 'my-city'], msg: 'Attribute names are letters, digits and _', type: 'value_error' }] },
    }));
    const { user } = renderAsUser(<LeadForm lead={lead(5)} onSaved={() => {}} onCancel={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    await user.keyboard('my-city');
    await user.type(screen.getByLabelText('Attribute 1 value'), 'Leeds');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    const name = screen.getByLabelText('Attribute 1 name');
    await waitFor(() => expect(name).toHaveAttribute('aria-invalid', 'true'));
    expect(name).toHaveAccessibleDescription('Attribute names are letters, digits and _');
    expect(name).toHaveFocus();
    expect(screen.getByRole('alert')).toHaveTextContent(/correct the highlighted fields/i);
    await user.type(name, 'x');
    expect(name).not.toHaveAttribute('aria-invalid');
  });

  it('catches a nameless or repeated attribute before sending', async () => {
    const { calls } = mockApi(() => ({ status: 201, json: lead(9) }));
    const user = await typeNewLead(<LeadForm onSaved={() => {}} onCancel={() => {}} />, 'Ada', '+442079460958');
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    await user.keyboard('city');
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    await user.keyboard('city');
    await user.click(screen.getByRole('button', { name: 'Add attribute' }));
    await user.type(screen.getByLabelText('Attribute 3 value'), 'orphan');
    await user.click(screen.getByRole('button', { name: 'Create lead' }));
    expect(await screen.findByText('There is another attribute named city.')).toBeInTheDocument();
    expect(screen.getByText('Give the attribute a name.')).toBeInTheDocument();
    expect(screen.getByLabelText('Attribute 2 name')).toHaveFocus();
    expect(calls).toHaveLength(0);
  });
});
