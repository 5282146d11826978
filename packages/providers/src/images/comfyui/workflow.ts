import { SwitchyardError } from '@switchyard/core';

/** One node of a ComfyUI API-format workflow: links to other nodes are `[nodeId, outputIndex]`. */
export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** A ComfyUI API-format workflow ("Save (API Format)"): node id → node. */
export type ComfyWorkflow = Record<string, ComfyNode>;

export const defaultCheckpoint = 'sd_xl_base_1.0.safetensors';
export const defaultNegativePrompt = 'blurry, low quality, distorted, watermark, text';

export const sizeLimits = { min: 256, max: 2048, multiple: 8 } as const;
export const stepLimits = { min: 1, max: 150 } as const;
const cfgLimits = { min: 0, max: 30 } as const;
/** ComfyUI accepts 64-bit seeds; we stay within what a JSON number carries exactly. */
const maxSeed = Number.MAX_SAFE_INTEGER;

/**
 * SDXL base text-to-image, with the node ids ComfyUI's own default graph uses,
 * so it reads like an export from the UI. A fresh copy every call: callers fill it in.
 */
export function defaultSdxlWorkflow(): ComfyWorkflow {
  return {
    '4': {
      class_type: 'CheckpointLoaderSimple',
      inputs: { ckpt_name: defaultCheckpoint },
      _meta: { title: 'Load Checkpoint' },
    },
    '6': {
      class_type: 'CLIPTextEncode',
      inputs: { text: '', clip: ['4', 1] },
      _meta: { title: 'Positive prompt' },
    },
    '7': {
      class_type: 'CLIPTextEncode',
      inputs: { text: defaultNegativePrompt, clip: ['4', 1] },
      _meta: { title: 'Negative prompt' },
    },
    '5': {
      class_type: 'EmptyLatentImage',
      inputs: { width: 1024, height: 1024, batch_size: 1 },
      _meta: { title: 'Empty Latent Image' },
    },
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: 0,
        steps: 25,
        cfg: 7,
        sampler_name: 'euler',
        scheduler: 'normal',
        denoise: 1,
        model: ['4', 0],
        positive: ['6', 0],
        negative: ['7', 0],
        latent_image: ['5', 0],
      },
      _meta: { title: 'KSampler' },
    },
    '8': {
      class_type: 'VAEDecode',
      inputs: { samples: ['3', 0], vae: ['4', 2] },
      _meta: { title: 'VAE Decode' },
    },
    '9': {
      class_type: 'SaveImage',
      inputs: { filename_prefix: 'switchyard', images: ['8', 0] },
      _meta: { title: 'Save Image' },
    },
  };
}

export interface WorkflowParameters {
  prompt: string;
  negativePrompt?: string | undefined;
  width: number;
  height: number;
  steps?: number | undefined;
  seed: number;
  cfgScale?: number | undefined;
  /** Checkpoint file for every CheckpointLoaderSimple; the template's stays when absent. */
  checkpoint?: string | undefined;
}

const samplerTypes = new Set(['KSampler', 'KSamplerAdvanced']);
const textEncoderTypes = new Set(['CLIPTextEncode', 'CLIPTextEncodeSDXL', 'CLIPTextEncodeSDXLRefiner']);
const latentTypes = new Set(['EmptyLatentImage', 'EmptySD3LatentImage']);

function invalidWorkflow(problem: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', `ComfyUI workflow template ${problem}`, { isRetryable: false });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks that a template is an API-format graph we can fill: UI-format exports
 * (with `nodes` and `links` arrays) are the usual mistake and are named as such.
 */
export function parseWorkflowTemplate(template: unknown): ComfyWorkflow {
  if (!isRecord(template)) throw invalidWorkflow('must be an object of nodes');
  if (Array.isArray(template.nodes) && Array.isArray(template.links)) {
    throw invalidWorkflow('is in the UI format; export it with "Save (API Format)"');
  }
  const entries = Object.entries(template);
  if (entries.length === 0) throw invalidWorkflow('has no nodes');
  for (const [id, node] of entries) {
    if (!isRecord(node) || typeof node.class_type !== 'string' || !isRecord(node.inputs)) {
      throw invalidWorkflow(`node "${id}" needs a class_type and inputs`);
    }
  }
  const workflow = template as unknown as ComfyWorkflow;
  const sampler = findSampler(workflow);
  if (sampler === undefined) throw invalidWorkflow('has no KSampler node');
  if (findPromptNodes(workflow, sampler).positive === undefined) {
    throw invalidWorkflow('has no CLIPTextEncode node for the prompt');
  }
  return workflow;
}

function findSampler(workflow: ComfyWorkflow): ComfyNode | undefined {
  return Object.values(workflow).find((node) => samplerTypes.has(node.class_type));
}

/** The node a link input points at, when the input is a link to an existing node. */
function linkedNode(workflow: ComfyWorkflow, input: unknown): ComfyNode | undefined {
  if (!Array.isArray(input) || input.length !== 2) return undefined;
  const id = String(input[0]);
  return Object.hasOwn(workflow, id) ? workflow[id] : undefined;
}

/** Sorted numerically when ids are numbers, as ComfyUI's exports are. */
function nodesOfTypes(workflow: ComfyWorkflow, types: Set<string>): ComfyNode[] {
  return Object.entries(workflow)
    .filter(([, node]) => types.has(node.class_type))
    .sort(([left], [right]) => left.localeCompare(right, 'en', { numeric: true }))
    .map(([, node]) => node);
}

/**
 * Which text encoder is positive and which negative is decided by the
 * sampler's links, which is what the graph means; the first and second
 * encoder by id is only a fallback for graphs that route conditioning
 * through other nodes.
 */
function findPromptNodes(
  workflow: ComfyWorkflow,
  sampler: ComfyNode,
): { positive: ComfyNode | undefined; negative: ComfyNode | undefined } {
  const linkedEncoder = (input: unknown) => {
    const node = linkedNode(workflow, input);
    return node !== undefined && textEncoderTypes.has(node.class_type) ? node : undefined;
  };
  const positive = linkedEncoder(sampler.inputs.positive);
  const negative = linkedEncoder(sampler.inputs.negative);
  if (positive !== undefined) return { positive, negative: negative === positive ? undefined : negative };
  const encoders = nodesOfTypes(workflow, textEncoderTypes);
  return { positive: encoders[0], negative: negative ?? encoders[1] };
}

function setText(node: ComfyNode, text: string): void {
  if (node.class_type === 'CLIPTextEncodeSDXL') {
    node.inputs.text_g = text;
    node.inputs.text_l = text;
  } else {
    node.inputs.text = text;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** A multiple of 8 within 256..2048, which SDXL latents need; non-numbers fall back to 1024. */
export function clampDimension(value: number): number {
  if (!Number.isFinite(value)) return 1024;
  const { min, max, multiple } = sizeLimits;
  return clamp(Math.round(value / multiple) * multiple, min, max);
}

export function clampSteps(value: number): number {
  if (!Number.isFinite(value)) return 25;
  return clamp(Math.round(value), stepLimits.min, stepLimits.max);
}

export function clampSeed(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return clamp(Math.trunc(Math.abs(value)), 0, maxSeed);
}

/**
 * A filled copy of the template. Values are set on the object graph, never
 * spliced into JSON text, so a prompt containing quotes or braces cannot
 * change the graph. Nodes are found by class_type and links, so templates
 * exported with any node ids work.
 */
export function fillWorkflow(template: ComfyWorkflow, parameters: WorkflowParameters): ComfyWorkflow {
  const workflow = structuredClone(template);
  const sampler = findSampler(workflow);
  if (sampler === undefined) throw invalidWorkflow('has no KSampler node');
  const { positive, negative } = findPromptNodes(workflow, sampler);
  if (positive === undefined) throw invalidWorkflow('has no CLIPTextEncode node for the prompt');

  setText(positive, parameters.prompt);
  if (negative !== undefined && parameters.negativePrompt !== undefined) setText(negative, parameters.negativePrompt);

  const seedInput = sampler.class_type === 'KSamplerAdvanced' ? 'noise_seed' : 'seed';
  sampler.inputs[seedInput] = clampSeed(parameters.seed);
  if (parameters.steps !== undefined) {
    const steps = clampSteps(parameters.steps);
    sampler.inputs.steps = steps;
    // KSamplerAdvanced stops at end_at_step; leaving an old, smaller value would cut sampling short.
    if (sampler.class_type === 'KSamplerAdvanced' && typeof sampler.inputs.end_at_step === 'number') {
      sampler.inputs.end_at_step = Math.max(sampler.inputs.end_at_step, steps);
    }
  }
  if (parameters.cfgScale !== undefined && Number.isFinite(parameters.cfgScale)) {
    sampler.inputs.cfg = clamp(parameters.cfgScale, cfgLimits.min, cfgLimits.max);
  }

  const linkedLatent = linkedNode(workflow, sampler.inputs.latent_image);
  const latent =
    linkedLatent !== undefined && latentTypes.has(linkedLatent.class_type)
      ? linkedLatent
      : nodesOfTypes(workflow, latentTypes)[0];
  if (latent !== undefined) {
    latent.inputs.width = clampDimension(parameters.width);
    latent.inputs.height = clampDimension(parameters.height);
  }

  if (parameters.checkpoint !== undefined && parameters.checkpoint !== '') {
    for (const node of Object.values(workflow)) {
      if (node.class_type === 'CheckpointLoaderSimple') node.inputs.ckpt_name = parameters.checkpoint;
    }
  }
  return workflow;
}
