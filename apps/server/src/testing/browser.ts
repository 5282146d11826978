/**
 * A minimal cookie-keeping HTTP client that behaves like a browser tab on the
 * server's own origin: it stores Set-Cookie, sends Cookie, sends Origin, and
 * does not follow redirects (tests look at them).
 */
export interface Browser {
  readonly cookies: Map<string, string>;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown): Promise<Response>;
  /** A second tab sharing nothing: same server, no cookies. */
  fresh(): Browser;
}

export function createBrowser(baseUrl: string, origin: string | null = baseUrl): Browser {
  const cookies = new Map<string, string>();
  const browser: Browser = {
    cookies,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(origin ? { origin } : {}) };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (cookies.size > 0) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      Object.assign(headers, options.headers);
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        redirect: 'manual',
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = cookie.split(';');
        const separator = pair.indexOf('=');
        const name = pair.slice(0, separator).trim();
        const value = pair.slice(separator + 1).trim();
        const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === '';
        if (expired) cookies.delete(name);
        else cookies.set(name, value);
      }
      return response;
    },
    get: (path) => browser.request('GET', path),
    post: (path, body = {}) => browser.request('POST', path, { body }),
    fresh: () => createBrowser(baseUrl, origin),
  };
  return browser;
}
