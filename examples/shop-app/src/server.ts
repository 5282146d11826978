// An example remote app for Switchyard (docs/apps.md, "Writing a remote app"): a shop whose
// skills are `search_products` (a JSON answer) and `compare` (progress streamed over SSE).
//
//   SHOP_APP_SECRET=<at least 16 characters> PORT=8080 node dist/server.js
//
// Every request from Switchyard is signed with the shared secret; this app refuses any other.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  check,
  formatSkillEvent,
  type Manifest,
  type SkillAnswer,
  SkillCallBodySchema,
  signatureHeader,
  timestampHeader,
  verifySignature,
} from '@switchyard/app-protocol';
import Type, { type Static } from 'typebox';
import { catalog, comparisonOf, type Product, searchProducts } from './catalog';

const secret = process.env.SHOP_APP_SECRET ?? '';
if (secret.length < 16) {
  console.error('shop-app: set SHOP_APP_SECRET to a secret of at least 16 characters (the same as in Switchyard)');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
/** How long `compare` spends on each product (it stands for slow work: a price check, a review scan). */
const stepMs = Number(process.env.SHOP_APP_STEP_MS ?? 400);
const maxBodyBytes = 1024 * 1024;

const SearchInput = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 200, description: 'Words to look for, e.g. "lamp"' }),
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Default 5' })),
  max_price: Type.Optional(Type.Number({ minimum: 0, description: 'Only products at or under this price' })),
});
const CompareInput = Type.Object({
  ids: Type.Array(Type.String({ minLength: 1 }), {
    minItems: 2,
    maxItems: 5,
    uniqueItems: true,
    description: 'Product ids from search_products',
  }),
});

/** A TypeBox schema is JSON Schema: the manifest sends it as the skill's input schema. */
const jsonSchema = (schema: object) => schema as Record<string, unknown>;

const manifest: Manifest = {
  id: 'shop',
  name: 'Shop',
  description: 'Searches the shop catalog and compares products',
  version: '1.0.0',
  skills: [
    {
      name: 'search_products',
      description: 'Search the catalog by words; best rated first',
      input_schema: jsonSchema(SearchInput),
    },
    {
      name: 'compare',
      description: 'Compare 2 to 5 products by price, rating and features',
      input_schema: jsonSchema(CompareInput),
    },
  ],
  focus_modes: [
    {
      id: 'shopping',
      name: 'Shopping assistant',
      description: 'Finds and compares products in the shop',
      system_prompt:
        'You are the shop assistant. Find products with search_products, compare candidates with compare, ' +
        'and recommend one with its price. Never invent products.',
      skills: ['search_products', 'compare'],
    },
  ],
};

type Send = (status: number, body: unknown) => void;

function sendJson(response: ServerResponse): Send {
  return (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

async function readRawBody(request: IncomingMessage): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function searchSkill(input: Static<typeof SearchInput>): SkillAnswer {
  const found = searchProducts(input.query, input.max_results ?? 5, input.max_price);
  return { output: { count: found.length, products: found } };
}

/** Compares products one by one, reporting each step; stops when the caller goes away. */
async function compareSkill(
  input: Static<typeof CompareInput>,
  onProgress: (message: string, fraction: number) => void,
  signal: AbortSignal,
): Promise<SkillAnswer> {
  const products: Product[] = [];
  for (const [index, id] of input.ids.entries()) {
    const product = catalog.find((candidate) => candidate.id === id);
    if (!product) return { output: `No product '${id}' in the catalog; search first.`, is_error: true };
    onProgress(`Checking ${product.name}`, index / input.ids.length);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    if (signal.aborted) throw new Error('the caller went away');
    products.push(product);
  }
  return { output: comparisonOf(products) };
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const send = sendJson(response);
  const url = new URL(request.url ?? '/', 'http://shop-app');
  if (request.method === 'GET' && url.pathname === '/health') return send(200, { status: 'ok' });

  const body = await readRawBody(request);
  if (body === null) return send(413, errorBody('too_large', `The body passed ${maxBodyBytes} bytes`));
  const verification = verifySignature({
    secret,
    body,
    timestamp: header(request, timestampHeader),
    signature: header(request, signatureHeader),
  });
  if (!verification.ok) return send(401, errorBody('bad_signature', verification.message));

  if (request.method === 'GET' && url.pathname === '/manifest') return send(200, manifest);
  const skill = /^\/skills\/([A-Za-z0-9_-]+)$/.exec(url.pathname)?.[1];
  if (request.method !== 'POST' || !skill) return send(404, errorBody('not_found', 'No such route'));

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return send(400, errorBody('invalid_json', 'The body is not JSON'));
  }
  const call = check(SkillCallBodySchema, parsed);
  if (!call.ok) return send(400, errorBody('invalid_call', call.reason));
  const { input } = call.value;

  if (skill === 'search_products') {
    const checked = check(SearchInput, input);
    if (!checked.ok) return send(400, errorBody('invalid_input', checked.reason));
    return send(200, searchSkill(checked.value));
  }
  if (skill === 'compare') {
    const checked = check(CompareInput, input);
    if (!checked.ok) return send(400, errorBody('invalid_input', checked.reason));
    const gone = new AbortController();
    response.on('close', () => gone.abort());
    if (!(header(request, 'accept') ?? '').includes('text/event-stream')) {
      return send(200, await compareSkill(checked.value, () => {}, gone.signal));
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    try {
      const answer = await compareSkill(
        checked.value,
        (message, fraction) => response.write(formatSkillEvent({ type: 'progress', progress: { message, fraction } })),
        gone.signal,
      );
      response.end(formatSkillEvent({ type: 'result', answer }));
    } catch (error) {
      response.end(formatSkillEvent({ type: 'error', error: { code: 'failed', message: (error as Error).message } }));
    }
    return;
  }
  return send(404, errorBody('unknown_skill', `No skill '${skill}'`));
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    console.error('shop-app: request failed', error);
    if (!response.headersSent) sendJson(response)(500, errorBody('internal', 'The shop failed'));
    else response.end();
  });
});

server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`shop-app listening on http://${host}:${bound}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
