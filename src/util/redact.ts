// The one place secrets are taken out of what evbench keeps or prints: a URL's password and its
// secret-looking query parameters by their shape, and the secrets a run was given (tokens, header
// values; scenario/secrets.ts finds them in a scenario), remembered, wherever they appear in text.

export const REDACTED = '***';

/** Query parameters that carry a credential by their name (api_token, password, secret, access_key, …). */
const SECRET_PARAM = /token|passw|pwd|secret|key|auth|signature|credential|session/i;

/** A URL without its password and secret query parameters; text that is not a URL keeps its shape with userinfo masked. */
export function redactUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return text.replace(/\/\/([^/@\s:]*):[^/@\s]*@/g, `//$1:${REDACTED}@`);
  }
  if (u.password) u.password = REDACTED;
  for (const name of [...u.searchParams.keys()]) if (SECRET_PARAM.test(name)) u.searchParams.set(name, REDACTED);
  // URLSearchParams percent-encodes `*`; keep the mask readable
  return u.toString().replaceAll('%2A%2A%2A', REDACTED);
}

/** The secret parts of a URL (password, secret query values), to remember and redact from free text. */
export function urlSecrets(text: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL(text);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
    for (const [name, value] of u.searchParams) if (SECRET_PARAM.test(name) && value !== '') out.push(value, encodeURIComponent(value));
  } catch {
    // not a URL: nothing to take out
  }
  return out;
}

/** A header value, and its credential alone when it has a scheme (`Bearer abc` → abc too). */
export function headerSecrets(value: string): string[] {
  const m = /^\s*[A-Za-z-]+\s+(\S.*)$/.exec(value);
  return m ? [value, m[1]!] : [value];
}

/**
 * Secrets shorter than this are masked where they have a shape (a token field, a header value) but
 * not in free text, where replacing every `abc` would garble the text without hiding anything.
 */
const MIN_FREE_TEXT_SECRET = 4;

/** The secrets this process was given, longest first (so a secret inside another is masked whole). */
const known: string[] = [];

/** Remembers secrets, so every later redactText masks them wherever they appear. */
export function rememberSecrets(values: Iterable<string | undefined>): void {
  for (const v of values) {
    if (v === undefined || v.length < MIN_FREE_TEXT_SECRET || known.includes(v)) continue;
    known.push(v);
  }
  known.sort((a, b) => b.length - a.length);
}

/** Text with every remembered secret and every URL password in it masked. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*):[^/@\s]+@/gi, `$1:${REDACTED}@`);
}

/** Whether any secret is remembered (a fast path for the common run without one). */
export function hasKnownSecrets(): boolean {
  return known.length > 0;
}

/**
 * A copy of a value (a run record) with the remembered secrets masked in every string but the
 * encoded histograms (base64 that could contain a short secret by chance and must stay intact).
 */
export function redactStrings<T>(value: T): T {
  if (!hasKnownSecrets()) return value;
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') return /istogram$/i.test(key) ? v : redactText(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value, '') as T;
}

/** Makes a writable stream (stderr) mask the remembered secrets in everything written to it. */
export function redactStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    // worker threads' output arrives as bytes
    const bytes = chunk instanceof Uint8Array && hasKnownSecrets();
    const text = typeof chunk === 'string' ? chunk : bytes ? Buffer.from(chunk).toString('utf8') : undefined;
    return write(text === undefined ? chunk : redactText(text), ...rest);
  }) as typeof stream.write;
}

/**
 * A postgres:// URL without its password (in the userinfo or a `password` parameter), and the
 * password: what a child process gets on its command line, and what it gets in PGPASSWORD.
 */
export function splitUrlPassword(text: string): { url: string; password?: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { url: text };
  }
  const password = u.password !== '' ? decodeURIComponent(u.password) : (u.searchParams.get('password') ?? undefined);
  u.password = '';
  u.searchParams.delete('password');
  return { url: u.toString(), password };
}
