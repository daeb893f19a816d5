/**
 * The device password given in a command's URL never reaches the screen: whatever a command
 * prints (reports, error messages) goes through `withoutPassword` as the last line of defence.
 */
import { parseDeviceUrl } from '../protocols/isapi/client.ts';

export const PASSWORD_MASK = '***';

/** The password in a device URL, decoded; '' when there is none or the URL is not valid. */
export function passwordOf(url: string): string {
  try {
    return parseDeviceUrl(url).password;
  } catch {
    return '';
  }
}

/**
 * `text` with every form of `password` replaced: as typed, percent-encoded (both as the URL
 * carries it and as encodeURIComponent writes it) and escaped inside a JSON string.
 * Every non-empty password is masked, however short: a mangled word in a message is a smaller
 * harm than a password on the screen (and Hikvision devices require 8 characters or more).
 */
export function withoutPassword(text: string, password: string, url?: string): string {
  if (!password) return text;
  const forms = [password, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)];
  const typed = url === undefined ? undefined : passwordAsTyped(url);
  if (typed) forms.push(typed);
  // Longest first, so a form that contains a shorter one is masked whole.
  let clean = text;
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) {
    clean = clean.split(form).join(PASSWORD_MASK);
  }
  return clean;
}

/** `withoutPassword` for a command that only has the URL the user gave. */
export function withoutUrlPassword(text: string, url: string): string {
  return withoutPassword(text, passwordOf(url), url);
}

function passwordAsTyped(url: string): string | undefined {
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}
