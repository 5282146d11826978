/** Query parameters that only track where a click came from; two URLs differing in them are one page. */
const trackingParameter = /^(utm_[a-z_]+|gclid|fbclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref_src|_hsenc|_hsmsd)$/i;

/**
 * The form of a URL that dedupe compares: lower-case scheme and host without `www.`, no default port,
 * no fragment, no tracking parameters, the remaining parameters sorted, no trailing slash. Two results
 * that lead to the same page compare equal; null for what is not an http(s) URL.
 */
export function normaliseUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const host = url.hostname
    .toLowerCase()
    .replace(/^www\./, '')
    .replace(/\.$/, '');
  const port = url.port && !['80', '443'].includes(url.port) ? `:${url.port}` : '';
  const parameters = [...url.searchParams.entries()]
    .filter(([name]) => !trackingParameter.test(name))
    .sort(([left, leftValue], [right, rightValue]) => left.localeCompare(right) || leftValue.localeCompare(rightValue));
  const query = parameters.length > 0 ? `?${new URLSearchParams(parameters).toString()}` : '';
  const path = url.pathname.replace(/\/+$/, '') || '';
  // http and https of one page are one result.
  return `${host}${port}${path}${query}`;
}
