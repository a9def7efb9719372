// SMS segments as the server counts them (pg_extension/sms.c): GSM-7 unless one character is
// outside it, then UCS-2; 160 / 153 per part for GSM-7 (an extension character counts two),
// 70 / 67 UTF-16 units for UCS-2.

const GSM_BASIC = new Set(Array.from(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'));
const GSM_EXT = new Set(Array.from('^{}\\[~]|€\f'));

export interface SmsCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** septets (GSM-7) or UTF-16 code units (UCS-2) */
  units: number;
  segments: number;
  /** units one message of this many segments can hold */
  capacity: number;
}

export function countSms(text: string): SmsCount {
  const chars = Array.from(text);
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXT.has(c));
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  const widths = chars.map((c) => (gsm ? (GSM_EXT.has(c) ? 2 : 1) : c.length));
  const units = widths.reduce((a, w) => a + w, 0);
  let segments = 0;
  if (units > 0 && units <= single) segments = 1;
  else if (units > single) {
    // a pair (an escape, a surrogate pair) is never split across parts
    segments = 1;
    let cur = 0;
    for (const w of widths) {
      if (cur + w > part) {
        segments++;
        cur = 0;
      }
      cur += w;
    }
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments, capacity: segments <= 1 ? single : segments * part };
}
