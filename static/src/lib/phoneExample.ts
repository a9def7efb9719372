// The example phone number the lead form shows: in the server's default country
// (smscamp.default_country, a calling code: GET /api/settings) when it has one, else in the
// country of the browser's language (navigator.language's region, "en-GB" → GB), else a
// generic hint. Examples are in ranges reserved for fiction or typical mobile formats.

/** Calling code → an example number in that country, written as people there write it. */
const EXAMPLES: Record<string, string> = {
  '1': '+1 415 555 0123',
  '44': '+44 7700 900123',
  '49': '+49 151 23456789',
  '33': '+33 6 12 34 56 78',
  '34': '+34 612 34 56 78',
  '39': '+39 312 345 6789',
  '31': '+31 6 12345678',
  '353': '+353 85 123 4567',
  '61': '+61 412 345 678',
  '64': '+64 21 123 4567',
  '91': '+91 98765 43210',
  '81': '+81 90 1234 5678',
  '55': '+55 11 91234 5678',
};

/** Region (ISO 3166-1 alpha-2) → calling code, for the regions EXAMPLES covers. */
const REGION_CODES: Record<string, string> = {
  US: '1', CA: '1', GB: '44', UK: '44', DE: '49', FR: '33', ES: '34', IT: '39', NL: '31',
  IE: '353', AU: '61', NZ: '64', IN: '91', JP: '81', BR: '55',
};

/** The region of a BCP 47 language tag ("en-GB" → "GB", "de" → null). */
export function regionOf(language: string | null | undefined): string | null {
  if (!language) return null;
  try {
    // maximize(): the likely region of a tag without one ("de" → DE, "en" → US)
    const r = new Intl.Locale(language).maximize().region;
    if (r) return r.toUpperCase();
  } catch {
    /* not a valid tag: try the simple way below */
  }
  const m = /^[a-z]{2,3}[-_]([a-z]{2})\b/i.exec(language);
  return m ? m[1].toUpperCase() : null;
}

export interface PhoneExample {
  /** An example number, or null when there is none for this country. */
  example: string | null;
  /** The hint under the phone field. */
  hint: string;
  /** The field's placeholder. */
  placeholder: string;
}

/**
 * The phone example for the server's default country (a calling code such as "44") or, without
 * one, the browser's language ("en-GB").
 */
export function phoneExample(defaultCountry: string | null | undefined, language: string | null | undefined): PhoneExample {
  const cc = defaultCountry ? defaultCountry.replace(/^\+/, '') : null;
  if (cc) {
    const example = EXAMPLES[cc] ?? null;
    const assumed = `numbers without a country code are taken as +${cc}`;
    return {
      example,
      hint: example ? `With country code, e.g. ${example}; ${assumed}` : `With country code; ${assumed}`,
      placeholder: example ?? `+${cc}`,
    };
  }
  // no default country on the server: the browser's region
  const region = regionOf(language);
  const code = region ? REGION_CODES[region] : undefined;
  const example = code ? EXAMPLES[code] : null;
  if (example) return { example, hint: `With country code, e.g. ${example}`, placeholder: example };
  return { example: null, hint: 'With country code: + and the digits, e.g. +44 7700 900123 or +1 415 555 0123', placeholder: '+' };
}
