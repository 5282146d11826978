import { createHash, randomUUID } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { solidColorPng } from '@switchyard/providers';

export { solidColorPng };

import {
  type FakeBehaviour,
  type FakeExchange,
  type FakeUpstreamServer,
  startFakeHttpServer,
} from './fake-http-server';

/** The shared behaviours, plus a job that is accepted but fails on the "GPU" (history reports status_str 'error'). */
export type FakeComfyUIBehaviour = FakeBehaviour | { kind: 'execution-error'; message?: string; nodeType?: string };

export interface FakeComfyUIOptions {
  /** Time from POST /prompt until the history lists the job's images; default 50 ms. */
  finishDelayMs?: number;
  /** Checkpoint files the server has; a graph naming another one fails validation. Default: SDXL base. */
  checkpoints?: string[];
}

interface FakeComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
}

export interface FakeComfyUIJob {
  promptId: string;
  clientId: string | undefined;
  /** The graph exactly as submitted. */
  prompt: Record<string, FakeComfyNode>;
  /** The KSampler seed, which also decides the colour of the fake image. */
  seed: number;
  finishesAt: number;
  failure: { message: string; nodeType: string } | undefined;
  /** Files the job "wrote", with the output node that wrote each. */
  images: Array<{ nodeId: string; filename: string; subfolder: string; type: string }>;
}

export interface FakeComfyUIServer extends Omit<FakeUpstreamServer, 'setBehaviour'> {
  /** Jobs accepted by POST /prompt, in order. */
  readonly jobs: FakeComfyUIJob[];
  setBehaviour(behaviour: FakeComfyUIBehaviour): void;
}

const outputNodeTypes = new Set(['SaveImage', 'PreviewImage']);

// --- A tiny, valid PNG written by hand: signature, IHDR, IDAT (zlib), IEND, each chunk CRC32-checked. ---

/** The colour the fakes paint for a seed, so tests can tell which seed produced an image. */
export function fakeImageColor(seed: number): [number, number, number] {
  const digest = createHash('sha256').update(String(seed)).digest();
  return [digest[0] as number, digest[1] as number, digest[2] as number];
}

/** Reads the colour of the first pixel of a PNG written by solidColorPng. */
export function readSolidPngColor(png: Buffer): [number, number, number] {
  const idatStart = png.indexOf('IDAT', 8, 'latin1');
  if (idatStart < 0) throw new Error('not a PNG written by solidColorPng');
  const length = png.readUInt32BE(idatStart - 4);
  const pixels = inflateSync(png.subarray(idatStart + 4, idatStart + 4 + length));
  return [pixels[1] as number, pixels[2] as number, pixels[3] as number];
}

// --- The server. ---

function sendJson(exchange: FakeExchange, status: number, body: unknown): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  exchange.response.end(JSON.stringify(body));
}

function sendText(exchange: FakeExchange, status: number, text: string): void {
  exchange.response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  exchange.response.end(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** ComfyUI's answer to a graph it refuses before queueing: HTTP 400 with `error` and `node_errors`. */
function rejection(type: string, message: string, details = '', nodeErrors: Record<string, unknown> = {}) {
  return { error: { type, message, details, extra_info: {} }, node_errors: nodeErrors };
}

/** Validates like ComfyUI's validate_prompt: shape first, then output nodes, then input values. */
function validateGraph(prompt: Record<string, unknown>, checkpoints: readonly string[]): unknown {
  for (const [id, node] of Object.entries(prompt)) {
    if (!isRecord(node) || typeof node.class_type !== 'string') {
      return rejection(
        'invalid_prompt',
        'Cannot execute because a node is missing the class_type property.',
        `Node ID '#${id}'`,
      );
    }
    if (!isRecord(node.inputs)) {
      return rejection(
        'invalid_prompt',
        'Cannot execute because a node is missing the inputs property.',
        `Node ID '#${id}'`,
      );
    }
  }
  const nodes = prompt as Record<string, FakeComfyNode>;
  const outputIds = Object.keys(nodes).filter((id) => outputNodeTypes.has(nodes[id]?.class_type ?? ''));
  if (outputIds.length === 0) return rejection('prompt_no_outputs', 'Prompt has no outputs');
  const nodeErrors: Record<string, unknown> = {};
  const reasons: string[] = [];
  for (const [id, node] of Object.entries(nodes)) {
    const errors: unknown[] = [];
    for (const [inputName, value] of Object.entries(node.inputs)) {
      if (Array.isArray(value) && value.length === 2 && !Object.hasOwn(nodes, String(value[0]))) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: `${inputName}`,
          extra_info: { input_name: inputName, received_value: value },
        });
      }
    }
    if (node.class_type === 'CheckpointLoaderSimple' && !checkpoints.includes(String(node.inputs.ckpt_name))) {
      errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `ckpt_name: '${String(node.inputs.ckpt_name)}' not in ${JSON.stringify(checkpoints)}`,
        extra_info: { input_name: 'ckpt_name', received_value: node.inputs.ckpt_name },
      });
    }
    if (errors.length > 0) {
      nodeErrors[id] = { errors, dependent_outputs: outputIds, class_type: node.class_type };
      for (const error of errors as Array<{ message: string; details: string }>) {
        reasons.push(`${error.message}: ${error.details}`);
      }
    }
  }
  if (reasons.length > 0) {
    return rejection(
      'prompt_outputs_failed_validation',
      'Prompt outputs failed validation',
      reasons.join('\n'),
      nodeErrors,
    );
  }
  return undefined;
}

function numberInput(nodes: Record<string, FakeComfyNode>, types: string[], input: string): number | undefined {
  const node = Object.values(nodes).find((candidate) => types.includes(candidate.class_type));
  const value = node?.inputs[input];
  return typeof value === 'number' ? value : undefined;
}

/**
 * A fake ComfyUI server speaking the HTTP API a client uses without the
 * websocket: POST /prompt, GET /history/{id}, GET /view, GET|POST /queue,
 * GET /system_stats. Jobs "run" for `finishDelayMs`, then list solid-colour
 * PNGs whose colour comes from the KSampler seed.
 */
export async function startFakeComfyUI(options: FakeComfyUIOptions = {}): Promise<FakeComfyUIServer> {
  const finishDelayMs = options.finishDelayMs ?? 50;
  const checkpoints = options.checkpoints ?? ['sd_xl_base_1.0.safetensors'];
  const jobs: FakeComfyUIJob[] = [];
  const deleted = new Set<string>();
  let executionError: Extract<FakeComfyUIBehaviour, { kind: 'execution-error' }> | undefined;
  let fileCounter = 0;

  const finished = (job: FakeComfyUIJob) => Date.now() >= job.finishesAt && !deleted.has(job.promptId);
  const unfinished = () => jobs.filter((job) => Date.now() < job.finishesAt && !deleted.has(job.promptId));

  function historyEntry(job: FakeComfyUIJob, number: number) {
    const outputIds = Object.keys(job.prompt).filter((id) => outputNodeTypes.has(job.prompt[id]?.class_type ?? ''));
    const timestamp = job.finishesAt;
    const started = ['execution_start', { prompt_id: job.promptId, timestamp: timestamp - finishDelayMs }];
    const cached = ['execution_cached', { nodes: [], prompt_id: job.promptId, timestamp: timestamp - finishDelayMs }];
    if (job.failure !== undefined) {
      const failedId = Object.keys(job.prompt).find((id) => job.prompt[id]?.class_type === job.failure?.nodeType);
      return {
        prompt: [number, job.promptId, job.prompt, { client_id: job.clientId }, outputIds],
        outputs: {},
        status: {
          status_str: 'error',
          completed: false,
          messages: [
            started,
            cached,
            [
              'execution_error',
              {
                prompt_id: job.promptId,
                node_id: failedId ?? '3',
                node_type: job.failure.nodeType,
                executed: [],
                exception_message: job.failure.message,
                exception_type: 'torch.OutOfMemoryError',
                traceback: ['  File "/opt/ComfyUI/execution.py", line 327, in execute\n'],
                current_inputs: {},
                current_outputs: {},
                timestamp,
              },
            ],
          ],
        },
        meta: {},
      };
    }
    const outputs: Record<string, unknown> = {};
    for (const id of outputIds) {
      const images = job.images
        .filter((image) => image.nodeId === id)
        .map(({ filename, subfolder, type }) => ({ filename, subfolder, type }));
      outputs[id] = { images };
    }
    return {
      prompt: [number, job.promptId, job.prompt, { client_id: job.clientId }, outputIds],
      outputs,
      status: {
        status_str: 'success',
        completed: true,
        messages: [started, cached, ['execution_success', { prompt_id: job.promptId, timestamp }]],
      },
      meta: Object.fromEntries(outputIds.map((id) => [id, { node_id: id, display_node: id, parent_node: null }])),
    };
  }

  function submit(exchange: FakeExchange): void {
    const body = exchange.record.body;
    if (!isRecord(body) || !Object.hasOwn(body, 'prompt')) {
      sendJson(exchange, 400, { error: 'no prompt', node_errors: [] });
      return;
    }
    if (!isRecord(body.prompt)) {
      sendJson(exchange, 400, rejection('invalid_prompt', 'Invalid prompt: the prompt must be an object of nodes'));
      return;
    }
    const refused = validateGraph(body.prompt, checkpoints);
    if (refused !== undefined) {
      sendJson(exchange, 400, refused);
      return;
    }
    const prompt = body.prompt as Record<string, FakeComfyNode>;
    const promptId = typeof body.prompt_id === 'string' ? body.prompt_id : randomUUID();
    const batchSize = numberInput(prompt, ['EmptyLatentImage', 'EmptySD3LatentImage'], 'batch_size') ?? 1;
    const seed =
      numberInput(prompt, ['KSampler'], 'seed') ?? numberInput(prompt, ['KSamplerAdvanced'], 'noise_seed') ?? 0;
    const images: FakeComfyUIJob['images'] = [];
    for (const [id, node] of Object.entries(prompt)) {
      if (!outputNodeTypes.has(node.class_type)) continue;
      for (let index = 0; index < batchSize; index += 1) {
        fileCounter += 1;
        const counter = String(fileCounter).padStart(5, '0');
        if (node.class_type === 'SaveImage') {
          const prefix = typeof node.inputs.filename_prefix === 'string' ? node.inputs.filename_prefix : 'ComfyUI';
          images.push({ nodeId: id, filename: `${prefix}_${counter}_.png`, subfolder: '', type: 'output' });
        } else {
          images.push({ nodeId: id, filename: `ComfyUI_temp_fake_${counter}_.png`, subfolder: '', type: 'temp' });
        }
      }
    }
    const previous = jobs.at(-1);
    // One GPU: a job starts when the one before it finishes, as in ComfyUI's queue.
    const startsAt = Math.max(
      Date.now(),
      previous !== undefined && !deleted.has(previous.promptId) ? previous.finishesAt : 0,
    );
    jobs.push({
      promptId,
      clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
      prompt,
      seed,
      finishesAt: startsAt + finishDelayMs,
      failure:
        executionError === undefined
          ? undefined
          : {
              message: executionError.message ?? 'Allocation on device would exceed allowed memory. (out of memory)',
              nodeType: executionError.nodeType ?? 'KSampler',
            },
      images,
    });
    sendJson(exchange, 200, { prompt_id: promptId, number: jobs.length - 1, node_errors: {} });
  }

  function queueItem(job: FakeComfyUIJob) {
    const outputIds = Object.keys(job.prompt).filter((id) => outputNodeTypes.has(job.prompt[id]?.class_type ?? ''));
    return [jobs.indexOf(job), job.promptId, job.prompt, { client_id: job.clientId }, outputIds];
  }

  function view(exchange: FakeExchange, query: URLSearchParams): void {
    const filename = query.get('filename') ?? '';
    const type = query.get('type') ?? 'output';
    const subfolder = query.get('subfolder') ?? '';
    for (const job of jobs) {
      if (!finished(job) || job.failure !== undefined) continue;
      const index = job.images.findIndex(
        (image) => image.filename === filename && image.type === type && image.subfolder === subfolder,
      );
      if (index < 0) continue;
      const png = solidColorPng(fakeImageColor(job.seed + index));
      exchange.response.writeHead(200, {
        'content-type': 'image/png',
        'content-length': String(png.length),
        'content-disposition': `filename="${filename}"`,
      });
      exchange.response.end(png);
      return;
    }
    sendText(exchange, 404, '404: Not Found');
  }

  async function handle(exchange: FakeExchange): Promise<void> {
    const { record } = exchange;
    if (exchange.behaviour.kind === 'cut-stream') {
      exchange.cut();
      return;
    }
    const url = new URL(record.path, 'http://fake-comfyui');
    const path = url.pathname;
    if (record.method === 'POST' && path === '/prompt') {
      submit(exchange);
      return;
    }
    if (record.method === 'GET' && path === '/prompt') {
      sendJson(exchange, 200, { exec_info: { queue_remaining: unfinished().length } });
      return;
    }
    const historyMatch = /^\/history\/(.+)$/.exec(path);
    if (record.method === 'GET' && historyMatch !== null) {
      const promptId = decodeURIComponent(historyMatch[1] ?? '');
      const job = jobs.find((candidate) => candidate.promptId === promptId);
      sendJson(
        exchange,
        200,
        job !== undefined && finished(job) ? { [promptId]: historyEntry(job, jobs.indexOf(job)) } : {},
      );
      return;
    }
    if (record.method === 'GET' && path === '/history') {
      sendJson(
        exchange,
        200,
        Object.fromEntries(jobs.filter(finished).map((job) => [job.promptId, historyEntry(job, jobs.indexOf(job))])),
      );
      return;
    }
    if (record.method === 'GET' && path === '/queue') {
      const waiting = unfinished();
      sendJson(exchange, 200, {
        queue_running: waiting.slice(0, 1).map(queueItem),
        queue_pending: waiting.slice(1).map(queueItem),
      });
      return;
    }
    if (record.method === 'POST' && path === '/queue') {
      const body = isRecord(record.body) ? record.body : {};
      const running = unfinished()[0];
      if (Array.isArray(body.delete)) {
        // As in ComfyUI, only pending jobs can be deleted; the running one needs /interrupt.
        for (const id of body.delete) if (typeof id === 'string' && id !== running?.promptId) deleted.add(id);
      }
      if (body.clear === true) for (const job of unfinished().slice(1)) deleted.add(job.promptId);
      exchange.response.writeHead(200);
      exchange.response.end();
      return;
    }
    if (record.method === 'POST' && path === '/interrupt') {
      exchange.response.writeHead(200);
      exchange.response.end();
      return;
    }
    if (record.method === 'GET' && path === '/view') {
      view(exchange, url.searchParams);
      return;
    }
    if (record.method === 'GET' && path === '/system_stats') {
      sendJson(exchange, 200, {
        system: {
          os: 'posix',
          ram_total: 67_108_864_000,
          ram_free: 40_000_000_000,
          comfyui_version: '0.3.40',
          python_version: '3.12.3 (main, Apr 10 2024, 05:33:47) [GCC 13.2.0]',
          pytorch_version: '2.7.0+cu126',
          embedded_python: false,
          argv: ['main.py', '--listen', '0.0.0.0', '--port', '8188'],
        },
        devices: [
          {
            name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync',
            type: 'cuda',
            index: 0,
            vram_total: 25_393_692_672,
            vram_free: 24_000_000_000,
            torch_vram_total: 0,
            torch_vram_free: 0,
          },
        ],
      });
      return;
    }
    sendText(exchange, 404, '404: Not Found');
  }

  const server = await startFakeHttpServer(handle, (exchange, behaviour) => {
    if (behaviour.body !== undefined) {
      exchange.response.writeHead(behaviour.status, {
        'content-type': typeof behaviour.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
        ...behaviour.headers,
      });
      exchange.response.end(typeof behaviour.body === 'string' ? behaviour.body : JSON.stringify(behaviour.body));
      return;
    }
    // aiohttp's own page for an unhandled exception in a route.
    exchange.response.writeHead(behaviour.status, {
      'content-type': 'text/plain; charset=utf-8',
      ...behaviour.headers,
    });
    exchange.response.end(`${behaviour.status} Internal Server Error\n\nServer got itself in trouble`);
  });

  return {
    url: server.url,
    requests: server.requests,
    jobs,
    get abortedRequests() {
      return server.abortedRequests;
    },
    get openConnections() {
      return server.openConnections;
    },
    setBehaviour(behaviour) {
      if (behaviour.kind === 'execution-error') {
        executionError = behaviour;
        server.setBehaviour({ kind: 'ok' });
      } else {
        executionError = undefined;
        server.setBehaviour(behaviour);
      }
    },
    close: () => server.close(),
  };
}
