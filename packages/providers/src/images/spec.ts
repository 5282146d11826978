/**
 * The image provider spec, version 1. Much smaller than the chat spec: a
 * prompt goes in, encoded image files come out. Adapters receive a plain
 * config object and never touch Fastify or queue types.
 */
export const imageProviderSpecVersion = 1 as const;

export interface ImageRequest {
  prompt: string;
  /** What the image should not show; upstreams without the concept ignore it. */
  negativePrompt?: string;
  width: number;
  height: number;
  /** Sampling steps; diffusion upstreams only. */
  steps?: number;
  /** Fixed seed for reproducible images; a random one is used when absent. */
  seed?: number;
  /** Classifier-free guidance scale; diffusion upstreams only. */
  cfgScale?: number;
  /** Checkpoint name (ComfyUI) or model name (OpenAI); overrides the config's `model`. */
  model?: string;
}

export interface GeneratedImage {
  bytes: Buffer;
  mimeType: string;
  /** The seed the upstream used, when it reports or accepts one. */
  seed?: number;
  /** The prompt the upstream actually drew, when it rewrites prompts (DALL-E 3). */
  revisedPrompt?: string;
}

export interface ImageGenerateOptions {
  /** Aborted when the client disconnects or a job is cancelled; adapters stop polling and downloading. */
  signal?: AbortSignal;
  /** Called with a fraction in [0, 1] as the upstream makes progress; never decreases. */
  onProgress?(fraction: number): void;
}

/** `placeholder` is the built-in `test-image` model, which draws without any upstream. */
export type ImageProviderType = 'comfyui' | 'openai-images' | 'placeholder';

export interface ImageProviderConfig {
  /** Our name for this provider instance, e.g. `local-comfyui`. */
  id: string;
  type: ImageProviderType;
  /** ComfyUI: the server root (`http://gpu:8188`). OpenAI: the API root including `/v1`. */
  baseURL: string;
  apiKey?: string;
  /** Extra headers sent with every upstream request. */
  headers?: Record<string, string>;
  /** The whole generation (submit, wait, download), in milliseconds. Default 300 s. */
  timeoutMs?: number;
  /** Outbound HTTP(S) proxy for this provider, e.g. `http://proxy.internal:3128`. */
  proxy?: string;
  /** ComfyUI only: pause between two looks at the job's history. Default 500 ms. */
  pollIntervalMs?: number;
  /** ComfyUI only: an API-format workflow ("Save (API Format)") used instead of the built-in SDXL one. */
  workflow?: object;
  /** ComfyUI: checkpoint file name. OpenAI: model name. */
  model?: string;
}

export interface ImageProvider {
  readonly specVersion: typeof imageProviderSpecVersion;
  readonly id: string;
  readonly type: ImageProviderType;
  /** One or more images for the prompt; throws SwitchyardError on upstream failure. */
  generate(request: ImageRequest, options?: ImageGenerateOptions): Promise<GeneratedImage[]>;
  /** Resolves when the upstream answers; throws SwitchyardError otherwise. */
  health(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
