// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GiftMessage, GiftProduct, GiftSession, GiftSessionSummary } from '../lib/gift-finder';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { GiftFinderPage } from './GiftFinder';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const failure = (status: number, code: string, message: string) => json(status, { error: { code, message } });

/** EventSource as the page uses it: named events with ids, open/error, close. The test emits the events. */
class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = FakeEventSource.CONNECTING;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  private lastId = 0;
  constructor(readonly url: string) {
    super();
    sources.push(this);
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: unknown, id = String(++this.lastId)) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: id }));
  }
  fail(readyState: number) {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
}
let sources: FakeEventSource[];

const at = (second: number) => `2026-12-03T10:00:${String(second).padStart(2, '0')}.000Z`;
const message = (id: string, role: GiftMessage['role'], text: string, second: number): GiftMessage => ({
  id,
  role,
  text,
  created_at: at(second),
});
const product = (id: string, fields: Partial<GiftProduct> = {}): GiftProduct => ({
  id,
  idea_id: 'idea_1',
  title: `Product ${id}`,
  price: 25,
  currency: 'EUR',
  url: `https://shop.example/${id}`,
  image: null,
  marketplace: 'ebay',
  rating: null,
  ...fields,
});

function newSession(id: string, fields: Partial<GiftSession> = {}): GiftSession {
  return {
    id,
    status: 'interviewing',
    recipient: null,
    currency: 'EUR',
    created_at: at(0),
    updated_at: at(0),
    messages: [],
    awaiting_answer: false,
    summary: null,
    profile: { status: 'none', interests: [], failures: [] },
    stages: [],
    ideas: [],
    marketplaces: [],
    products: [],
    ranking: null,
    usage: { prompt_tokens: 0, completion_tokens: 0, cost: 0 },
    ...fields,
  };
}

let requests: Array<{ method: string; path: string; body: unknown }>;
/** The server's sessions, as GET returns them; tests change them as the flow goes on. */
let sessions: Map<string, GiftSession>;
let createFailure: (() => Response) | null;

function summaryOf(session: GiftSession): GiftSessionSummary {
  const { id, status, recipient, created_at, updated_at } = session;
  return { id, status, recipient, created_at, updated_at };
}

function route(method: string, path: string, body: unknown): Response {
  const base = '/v1/apps/gift-finder/sessions';
  if (path === base && method === 'GET') {
    return json(200, { data: [...sessions.values()].reverse().map(summaryOf) });
  }
  if (path === base && method === 'POST') {
    if (createFailure) return createFailure();
    const request = body as { recipient?: string; currency?: string };
    const session = newSession(`gs_${sessions.size + 1}`, {
      recipient: request.recipient ?? null,
      currency: request.currency ?? 'EUR',
    });
    sessions.set(session.id, session);
    return json(201, { session });
  }
  const one = /^\/v1\/apps\/gift-finder\/sessions\/([^/]+)(\/answers)?$/.exec(path);
  const session = one ? sessions.get(decodeURIComponent(one[1] ?? '')) : undefined;
  if (one && !session) return failure(404, 'SY_ERR_GIFT_SESSION_NOT_FOUND', 'No such gift session');
  if (session && one?.[2] && method === 'POST') {
    if (!session.awaiting_answer) return failure(409, 'SY_ERR_GIFT_SESSION_STATE', 'Not waiting for an answer');
    const answer = message(`m_${session.messages.length + 1}`, 'user', (body as { text: string }).text, 30);
    const updated = { ...session, messages: [...session.messages, answer], awaiting_answer: false };
    sessions.set(session.id, updated);
    return json(202, { session: updated });
  }
  if (session && method === 'GET') return json(200, { session });
  return failure(404, 'SY_ERR_NOT_FOUND', `no route ${method} ${path}`);
}

let mounted: Mounted;
let container: HTMLDivElement;

async function mountAt(path: string) {
  history.replaceState(null, '', path);
  mounted = await mountWithQueryClient(<GiftFinderPage />);
  ({ container } = mounted);
}

beforeEach(() => {
  requests = [];
  sources = [];
  sessions = new Map();
  createFailure = null;
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const path = new URL(input, 'http://localhost').pathname;
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
      requests.push({ method, path, body });
      return route(method, path, body);
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
});

/** Waits until `check` returns something (not false, null or undefined) and returns it. */
const waitFor = <T,>(check: () => T) =>
  until(() => {
    const result = check();
    if (result === false || result === null || result === undefined) throw new Error('not there yet');
    return result as NonNullable<T>;
  });

const labelled = <T extends HTMLElement>(text: string): T => {
  const label = [...container.querySelectorAll('label')].find((element) =>
    element.textContent?.trim().startsWith(text),
  );
  const control = label?.htmlFor
    ? container.querySelector(`[id="${label.htmlFor}"]`)
    : label?.querySelector('input, textarea, select');
  if (!control) throw new Error(`no control labelled ${text}`);
  return control as T;
};
const button = (name: string) =>
  [...container.querySelectorAll('button')].find((element) => element.textContent?.trim() === name);
const alerts = () => [...container.querySelectorAll('[role="alert"]')].map((element) => element.textContent);
const posts = () => requests.filter((entry) => entry.method === 'POST');
const texts = (selector: string) => [...container.querySelectorAll(selector)].map((element) => element.textContent);
const emit = (type: string, data: unknown, id?: string) => act(async () => sources.at(-1)?.emit(type, data, id));

async function type(control: HTMLInputElement | HTMLTextAreaElement, value: string) {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(control), 'value')?.set;
    setter?.call(control, value);
    control.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
const press = (control: HTMLElement, key: string, shiftKey = false) =>
  act(async () => {
    control.dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));
  });
const submitStart = () => act(async () => button('Start')?.click());

/** Starts a session for `recipient` from the form and waits for its page and event stream. */
async function startSession(recipient = 'my sister Ana'): Promise<FakeEventSource> {
  await mountAt('/gifts');
  await type(labelled('Who is the gift for?'), recipient);
  await submitStart();
  await waitFor(() => container.querySelector('article h2')?.textContent === `Gift for ${recipient}`);
  const source = await waitFor(() => sources.at(-1));
  await act(async () => source.open());
  return source;
}

/** Moves the server's copy of gs_1 on, as the flow would (what the next GET returns). */
function serverMoves(fields: Partial<GiftSession>) {
  const current = sessions.get('gs_1') as GiftSession;
  sessions.set('gs_1', { ...current, ...fields });
}

describe('gift finder page', () => {
  it('runs the interview as a chat: a question, an answer sent with Enter, the next question', async () => {
    const source = await startSession();
    expect(location.search).toBe('?session=gs_1');
    expect(posts()[0]?.body).toMatchObject({ recipient: 'my sister Ana' });
    expect(posts()[0]?.body).not.toHaveProperty('profile');
    expect(source.url).toBe('/v1/apps/gift-finder/sessions/gs_1/events');

    const first = message('m_1', 'assistant', 'How old is Ana, and what does she love doing?', 1);
    serverMoves({ messages: [first], awaiting_answer: true });
    await emit('question', { message: first });
    const log = container.querySelector('[role="log"]') as HTMLElement;
    expect(log.getAttribute('aria-label')).toBe('Interview messages');
    expect(texts('[role="log"] article')).toEqual(['How old is Ana, and what does she love doing?']);

    const composer = labelled<HTMLTextAreaElement>('Your answer');
    await type(composer, 'She is 34 and climbs.');
    // Shift+Enter is a new line, not a send.
    await press(composer, 'Enter', true);
    expect(posts()).toHaveLength(1);
    await press(composer, 'Enter');
    await waitFor(() => posts().length === 2);
    expect(posts()[1]).toMatchObject({
      path: '/v1/apps/gift-finder/sessions/gs_1/answers',
      body: { text: 'She is 34 and climbs.' },
    });
    await waitFor(() => composer.value === '');
    expect(container.textContent).toContain('Waiting for the next question…');

    // The server echoes the answer (other tabs see it): still shown once.
    const answer = sessions.get('gs_1')?.messages.at(-1) as GiftMessage;
    await emit('answer', { message: answer });
    const second = message('m_3', 'assistant', 'What is your budget?', 40);
    await emit('question', { message: second });
    expect(
      [...container.querySelectorAll('[role="log"] article')].map((element) => element.getAttribute('data-role')),
    ).toEqual(['assistant', 'user', 'assistant']);
    expect(texts('[role="log"] article')).toEqual([
      'How old is Ana, and what does she love doing?',
      'She is 34 and climbs.',
      'What is your budget?',
    ]);
    expect(container.textContent).toContain('Enter sends, Shift+Enter starts a new line.');
    expect(button('Send')?.disabled).toBe(true); // nothing typed yet
    expect(alerts()).toEqual([]);
  });

  it('shows each stage and each marketplace as the stream reports them, in a live region', async () => {
    await startSession();
    const status = container.querySelector('[data-testid="progress-sentence"]') as HTMLElement;
    expect(status.getAttribute('role')).toBe('status');
    const stage = (name: string) => container.querySelector(`li[data-stage="${name}"]`);

    await emit('stage', { stage: 'interview', status: 'completed' });
    expect(stage('interview')?.getAttribute('data-status')).toBe('completed');
    expect(container.querySelector('[data-testid="session-status"]')?.textContent).toBe('Searching');
    expect(stage('profile')?.textContent).toContain('skipped (no profile given)');

    await emit('stage', { stage: 'ideas', status: 'completed', message: '3 ideas' });
    serverMoves({
      status: 'searching',
      marketplaces: [
        { marketplace: 'ebay', status: 'completed', count: 2 },
        { marketplace: 'amazon', status: 'rate_limited', message: 'try again in 30 s', count: 0 },
        { marketplace: 'olx', status: 'pending', count: 0 },
      ],
    });
    await emit('stage', { stage: 'fetch', status: 'started', progress: 0.4 });
    expect(stage('ideas')?.textContent).toContain('3 ideas');
    expect(stage('fetch')?.getAttribute('data-status')).toBe('started');
    expect(stage('fetch')?.querySelector('progress')?.getAttribute('value')).toBe('40');
    expect(status.textContent).toBe('Searching marketplaces in progress 40%. 0 products found.');

    // The stage event refetched the session: each marketplace with its state.
    const marketplace = (id: string) => container.querySelector(`li[data-marketplace="${id}"]`);
    await waitFor(() => marketplace('amazon'));
    expect(marketplace('ebay')?.textContent).toBe('✓eBay done, 2 found');
    expect(marketplace('amazon')?.getAttribute('data-status')).toBe('rate_limited');
    expect(marketplace('amazon')?.textContent).toBe('!Amazon rate limited, 0 found (try again in 30 s)');
    expect(marketplace('olx')?.textContent).toContain('OLX searching');

    // A replayed older event (a reconnect) does not move the stage back.
    await emit('stage', { stage: 'fetch', status: 'started', progress: 0.1 });
    expect(stage('fetch')?.querySelector('progress')?.getAttribute('value')).toBe('40');
    await emit('stage', { stage: 'fetch', status: 'completed' });
    expect(stage('fetch')?.getAttribute('data-status')).toBe('completed');
    expect(stage('rerank')?.getAttribute('data-status')).toBe('pending');
  });

  it('shows products as they arrive: image (a marketplace’s through the proxy), title, price in its currency, marketplace, rating, link', async () => {
    await startSession();
    await emit('stage', { stage: 'fetch', status: 'started' });
    expect(container.querySelector('ul[aria-label="Products found"]')).toBeNull();

    await emit('products', {
      idea_id: 'idea_1',
      marketplace: 'ebay',
      products: [
        product('p1', { title: 'Chalk bag', price: 24.5, rating: 4.5, image: 'data:image/png;base64,iVBORw0KGgo=' }),
        product('p2', { title: 'Climbing guide', price: 1299, currency: 'PLN', image: 'https://i.example/p2.jpg' }),
      ],
    });
    const cards = () => [...container.querySelectorAll('ul[aria-label="Products found"] article')];
    expect(cards().map((card) => card.querySelector('h4')?.textContent)).toEqual(['Chalk bag', 'Climbing guide']);
    const [chalk, guide] = cards();
    expect(chalk?.querySelector('[data-testid="price"]')?.textContent).toBe(
      new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(24.5),
    );
    expect(guide?.querySelector('[data-testid="price"]')?.textContent).toBe(
      new Intl.NumberFormat(undefined, { style: 'currency', currency: 'PLN' }).format(1299),
    );
    expect(chalk?.textContent).toContain('eBay');
    expect(chalk?.textContent).toContain('Rated 4.5 out of 5');
    expect(chalk?.querySelector('img')?.getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
    // A marketplace's image comes through the server's proxy (the page's CSP allows no other origin)...
    const proxied = guide?.querySelector('img') as HTMLImageElement;
    expect(proxied.getAttribute('src')).toBe('/v1/apps/gift-finder/sessions/gs_1/products/p2/image');
    // ...and one the proxy refuses shows the marketplace's placeholder instead of a broken image.
    await act(async () => proxied.dispatchEvent(new Event('error')));
    expect(guide?.querySelector('img')).toBeNull();
    expect(guide?.querySelector('div[aria-hidden="true"]')?.textContent).toBe('eBay');
    const link = chalk?.querySelector('a') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('https://shop.example/p1');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')?.split(' ')).toContain('noopener');
    expect(link.textContent).toBe('View on eBay: Chalk bag (opens in a new tab)');
    expect(container.textContent).toContain('Found so far (2)');

    await emit('products', {
      idea_id: 'idea_2',
      marketplace: 'allegro',
      products: [product('p3', { title: 'Hangboard', marketplace: 'allegro', url: 'javascript:alert(1)' })],
    });
    expect(cards().map((card) => card.querySelector('h4')?.textContent)).toEqual([
      'Chalk bag',
      'Climbing guide',
      'Hangboard',
    ]);
    // Only http(s) product links become links.
    expect(cards()[2]?.querySelector('a')).toBeNull();

    // The same event again (replayed after a reconnect) adds nothing.
    await emit('products', {
      idea_id: 'idea_1',
      marketplace: 'ebay',
      products: [product('p1', { title: 'Chalk bag' })],
    });
    expect(cards()).toHaveLength(3);
    expect(container.querySelector('[data-testid="progress-sentence"]')?.textContent).toContain('3 products found');
  });

  it('shows the final ranking best first with its reasons, then stops following', async () => {
    const source = await startSession();
    const found = [product('p1', { title: 'Chalk bag' }), product('p2', { title: 'Guide' }), product('p3')];
    await emit('products', { idea_id: 'idea_1', marketplace: 'ebay', products: found });
    const ranking = [
      { product_id: 'p3', score: 0.92, reason: 'She trains indoors in winter.' },
      { product_id: 'p1', score: 0.81, reason: 'Her old bag is worn.' },
    ];
    serverMoves({ status: 'ready', products: found, ranking });
    await emit('ranking', { ranking, products: found });
    const ranked = [...container.querySelectorAll('ol[aria-label="Ranked gifts"] > li article')];
    expect(ranked.map((card) => card.querySelector('h4')?.textContent)).toEqual(['#1Product p3', '#2Chalk bag']);
    expect(ranked[0]?.textContent).toContain('She trains indoors in winter.');
    expect(ranked[1]?.textContent).toContain('Her old bag is worn.');
    expect(container.textContent).toContain('Other products found (1)');
    expect(container.querySelector('[data-testid="session-status"]')?.textContent).toBe('Ready');

    await emit('done', { status: 'ready' });
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
    expect(container.querySelector('[data-testid="progress-sentence"]')?.textContent).toBe(
      'Done: 2 gifts ranked from 3 products found.',
    );
    expect(container.querySelector('form textarea')).toBeNull();
    expect(alerts()).toEqual([]);
  });

  it('shows a refused request clearly and offers a new search', async () => {
    const source = await startSession('my neighbour');
    serverMoves({ status: 'refused' });
    const refusal = message('m_9', 'assistant', 'I can not help with gifts meant to hurt someone.', 9);
    await emit('refused', { message: refusal });
    await emit('done', { status: 'refused' });
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
    const [alert] = alerts();
    expect(alert).toContain('The gift finder declined this request.');
    expect(alert).toContain('I can not help with gifts meant to hurt someone.');
    expect(container.querySelector('form textarea')).toBeNull();
    expect(container.querySelector('[data-testid="session-status"]')?.textContent).toBe('Refused');
    expect(texts('[role="log"] article')).toEqual(['I can not help with gifts meant to hurt someone.']);

    await act(async () => button('Start a new search')?.click());
    expect(location.pathname + location.search).toBe('/gifts');
    await waitFor(() => button('Start'));
  });

  it('shows a failed search with the stage that failed and what was found before', async () => {
    await startSession();
    await emit('products', { idea_id: 'idea_1', marketplace: 'ebay', products: [product('p1')] });
    await emit('stage', { stage: 'rerank', status: 'failed', message: 'The model is unavailable' });
    serverMoves({ status: 'failed' });
    await emit('done', { status: 'failed' });
    const [alert] = alerts();
    expect(alert).toContain('The search failed.');
    expect(alert).toContain('What was found before it did is shown below.');
    expect(alert).toContain('Ranking: The model is unavailable');
    expect(container.querySelectorAll('ul[aria-label="Products found"] article')).toHaveLength(1);
  });

  it('requires consent when profile links or text are given, and sends them with it', async () => {
    await mountAt('/gifts');
    const consent = labelled<HTMLInputElement>('I may share this');
    expect(consent.required).toBe(false);
    await type(labelled('Profile links'), 'https://social.example/ana\nnot a link');
    expect(consent.required).toBe(true);
    await submitStart();
    expect(alerts()).toEqual(['Not a web address (http or https): not a link']);

    await type(labelled('Profile links'), 'https://social.example/ana');
    await type(labelled('About them'), 'Climbs, reads sci-fi.');
    await submitStart();
    expect(posts()).toEqual([]);
    expect(alerts()).toEqual(['Tick the consent box to use profile links or pasted text, or remove them.']);
    expect(consent.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(consent);

    // The server says the same if it is asked without consent.
    await act(async () => consent.click());
    createFailure = () => failure(400, 'SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED', 'consent is required');
    await submitStart();
    await waitFor(() => alerts().some((text) => text?.startsWith('Consent needed')));
    expect(posts()[0]?.body).toMatchObject({
      profile: { links: ['https://social.example/ana'], text: 'Climbs, reads sci-fi.', consent: true },
    });

    createFailure = null;
    await act(async () => {
      const select = labelled<HTMLSelectElement>('Currency');
      select.value = 'PLN';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await submitStart();
    await waitFor(() => location.search === '?session=gs_1');
    expect(posts()[1]?.body).toMatchObject({ currency: 'PLN', profile: { consent: true } });
  });

  it('lists past sessions and reopens one without following a finished stream', async () => {
    const found = [product('p1', { title: 'Tent' }), product('p2', { title: 'Stove' })];
    sessions.set(
      'gs_1',
      newSession('gs_1', {
        status: 'ready',
        recipient: 'Dad',
        messages: [message('m_1', 'assistant', 'What does he like?', 1), message('m_2', 'user', 'Camping', 2)],
        stages: [
          { stage: 'interview', status: 'completed' },
          { stage: 'fetch', status: 'completed' },
          { stage: 'rerank', status: 'completed' },
        ],
        products: found,
        ranking: [
          { product_id: 'p2', score: 0.9, reason: 'Light for hiking' },
          { product_id: 'p1', score: 0.7, reason: 'Roomy' },
        ],
      }),
    );
    sessions.set('gs_2', newSession('gs_2', { recipient: 'Mum', created_at: at(50) }));
    await mountAt('/gifts');
    const nav = await waitFor(() => container.querySelector('nav[aria-labelledby="gift-past-title"]'));
    await waitFor(() => nav.querySelectorAll('a').length === 2);
    expect([...nav.querySelectorAll('a')].map((link) => link.textContent?.split('·')[0])).toEqual([
      'MumInterview ',
      'DadReady ',
    ]);

    await act(async () => (nav.querySelectorAll('a')[1] as HTMLAnchorElement).click());
    await waitFor(() => container.querySelector('ol[aria-label="Ranked gifts"]'));
    expect(location.search).toBe('?session=gs_1');
    expect(nav.querySelectorAll('a')[1]?.getAttribute('aria-current')).toBe('page');
    expect(texts('ol[aria-label="Ranked gifts"] h4')).toEqual(['#1Stove', '#2Tent']);
    expect(texts('[role="log"] article')).toEqual(['What does he like?', 'Camping']);
    expect(sources).toEqual([]);

    // An unfinished one follows its stream.
    await act(async () => (nav.querySelectorAll('a')[0] as HTMLAnchorElement).click());
    await waitFor(() => sources.length === 1);
    expect(sources[0]?.url).toBe('/v1/apps/gift-finder/sessions/gs_2/events');
  });

  it("says so when a session is not found (another user's is 404)", async () => {
    await mountAt('/gifts?session=gs_other');
    await waitFor(() => alerts().length > 0);
    expect(alerts()).toEqual(['Gift search not found It does not exist or belongs to another account.']);
    expect(sources).toEqual([]);
  });

  it('offers to reconnect when the browser gives up on the stream', async () => {
    const source = await startSession();
    await act(async () => source.fail(FakeEventSource.CONNECTING));
    expect(container.textContent).toContain('Connection lost; reconnecting…');
    await act(async () => source.fail(FakeEventSource.CLOSED));
    expect(alerts().some((text) => text?.startsWith('Live updates stopped.'))).toBe(true);
    await act(async () => button('Reconnect')?.click());
    expect(sources).toHaveLength(2);
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
  });
});
