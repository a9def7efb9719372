import { describe, expect, it } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import LeadForm from '../components/LeadForm';
import { phoneExample, regionOf } from '../lib/phoneExample';
import { mockApi, renderWithProviders } from './helpers';

describe('the phone example', () => {
  it('follows the browser locale', () => {
    expect(phoneExample(null, 'en-GB').example).toBe('+44 7700 900123');
    expect(phoneExample(null, 'en-US').example).toBe('+1 415 555 0123');
    expect(phoneExample(null, 'de-DE').example).toBe('+49 151 23456789');
    expect(phoneExample(null, 'de').example).toBe('+49 151 23456789'); // the likely region of a bare language
    expect(phoneExample(null, 'fr-CA').example).toBe('+1 415 555 0123');
  });

  it('prefers the server\'s default country, and says numbers without a code are taken as it', () => {
    const p = phoneExample('44', 'en-US');
    expect(p.example).toBe('+44 7700 900123');
    expect(p.hint).toBe('With country code, e.g. +44 7700 900123; numbers without a country code are taken as +44');
    expect(phoneExample('+1', 'de-DE').example).toBe('+1 415 555 0123');
    expect(phoneExample('972', 'en-GB')).toEqual({ example: null, hint: 'With country code; numbers without a country code are taken as +972', placeholder: '+972' });
  });

  it('falls back to a generic hint', () => {
    for (const lang of ['sv-SE', 'zz', '', null, 'not a tag!']) {
      const p = phoneExample(null, lang);
      expect(p.example).toBeNull();
      expect(p.hint).toMatch(/^With country code: \+ and the digits/);
      expect(p.placeholder).toBe('+');
    }
  });

  it('reads the region of a language tag', () => {
    expect(regionOf('en-GB')).toBe('GB');
    expect(regionOf('pt_BR')).toBe('BR');
    expect(regionOf(undefined)).toBeNull();
  });

  it('is what the lead form shows: the browser locale, then the server default once loaded', async () => {
    const { calls } = mockApi(() => undefined);
    const { qc } = renderWithProviders(<LeadForm onSaved={() => {}} onCancel={() => {}} />);
    const phone = screen.getByLabelText(/^Phone/);
    // jsdom's navigator.language is en-US
    expect(phone).toHaveAttribute('placeholder', '+1 415 555 0123');
    expect(phone).toHaveAccessibleDescription('With country code, e.g. +1 415 555 0123');
    act(() => qc.setQueryData(['settings'], { default_country: '44' }));
    await waitFor(() => expect(phone).toHaveAttribute('placeholder', '+44 7700 900123'));
    expect(phone).toHaveAccessibleDescription(/e\.g\. \+44 7700 900123; numbers without a country code are taken as \+44/);
    expect(calls).toHaveLength(0); // the form asks the server nothing itself
  });
});
