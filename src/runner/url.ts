// Target URLs: the v0 token travels as ?api_token= (Arvados style).

export function withToken(url: string, token: string | undefined): string {
  if (!token) return url;
  const u = new URL(url);
  u.searchParams.set('api_token', token);
  return u.toString();
}
