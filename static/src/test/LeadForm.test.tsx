import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import LeadForm from '../components/LeadForm';
import { lead, mockApi, renderWithProviders } from './helpers';

describe('LeadForm', () => {
  it('shows the server 422 message next to the phone field and focuses it', async () => {
    const { calls } = mockApi(() => ({
      status: 422,
      json: { detail: [{ loc: ['body', 'phone'], msg: 'Phone number needs a country code, e.g. +1 415 555 0123', type: 'value_error' }] },
    }));
    const onSaved = vi.fn();
    renderWithProviders(<LeadForm onSaved={onSaved} onCancel={() => {}} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Name/), 'Grace Hopper');
    await user.type(screen.getByLabelText(/^Phone/), '5550123');
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
    renderWithProviders(<LeadForm onSaved={() => {}} onCancel={() => {}} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Name/), 'A');
    await user.type(screen.getByLabelText(/^Phone/), '+14155550123');
    await user.click(screen.getByRole('button', { name: 'Create lead' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: Phone +14155550123 already belongs to lead 4');
    expect(screen.getByLabelText(/^Phone/)).toHaveAttribute('aria-invalid', 'true');
  });

  it('edits with PUT, sending null for a cleared optional field', async () => {
    const { calls } = mockApi((c) => (c.method === 'PUT' ? { status: 200, json: lead(5, { name: 'New' }) } : undefined));
    const onSaved = vi.fn();
    renderWithProviders(<LeadForm lead={lead(5, { email: 'a@b.co' })} onSaved={onSaved} onCancel={() => {}} />);
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('Email'));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0].url).toBe('/api/leads/5');
    expect(JSON.parse(calls[0].body!).email).toBeNull();
  });
});
