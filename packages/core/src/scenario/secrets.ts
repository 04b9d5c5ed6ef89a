/**
 * Secrets written inline, found by where they are rather than by exact key names: the values of
 * credential-like fields and headers (`authorization`, `api_key`, `x-api-key`, Azure's `api-key`,
 * `*token`, `*secret*`, `password`, cookies) anywhere in a scenario or project config, and the
 * password of any URL with userinfo (`http://user:pass@host`). Registered with the `${env:...}` values,
 * they are redacted from every output by value, wherever a server or a message repeats them.
 */
const CREDENTIAL_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd)$|secret|(^|[-_])(api[-_]?)?key$|apikey$|(^|[-_])(access[-_]|auth[-_]|bearer[-_]|refresh[-_]|id[-_])?token$/i;

/** Whether a field or header name holds a credential. */
export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key);
}

/** Adds to `into` every inline secret in `value` (a parsed scenario or config). */
export function collectInlineSecrets(value: unknown, into: Set<string>): void {
  const add = (s: string): void => {
    const v = s.trim();
    if (v.length >= 3 && !v.startsWith('${env:')) into.add(v);
  };
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      if (key !== undefined && isCredentialKey(key)) {
        add(v);
        // "Bearer <token>", "Basic <credentials>": the credential alone is a secret too.
        const scheme = /^[A-Za-z][A-Za-z0-9-]*\s+(\S+)$/.exec(v.trim());
        if (scheme) add(scheme[1]!);
      }
      const userinfo = urlUserinfo(v);
      if (userinfo) {
        if (userinfo.password) {
          add(userinfo.password);
          add(`${userinfo.username}:${userinfo.password}`);
        }
        if (userinfo.rawPassword && userinfo.rawPassword !== userinfo.password) add(userinfo.rawPassword);
      }
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
      return;
    }
    if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(value, undefined);
}

/** The userinfo of an http(s) URL, decoded, when it has a password. */
export function urlUserinfo(text: string): { username: string; password: string; rawPassword: string } | undefined {
  if (!/^https?:\/\/[^/@\s]*:[^/@\s]*@/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    if (!url.password) return undefined;
    return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password), rawPassword: url.password };
  } catch {
    return undefined;
  }
}
