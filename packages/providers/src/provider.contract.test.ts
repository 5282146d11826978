import {
  describeProviderContract,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOllama,
  startFakeOpenAI,
  type UpstreamWire,
} from '@switchyard/testkit';
import { createAnthropicProvider } from './anthropic';
import { createEchoProvider } from './echo';
import { createGeminiProvider } from './gemini';
import { createOllamaProvider } from './ollama';
import { createOpenAICompatibleProvider } from './openai-compatible';

type Loose = Record<string, unknown>;

function record(value: unknown): Loose {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : {};
}

function list(value: unknown): Loose[] {
  return Array.isArray(value) ? value.map(record) : [];
}

function textOfParts(parts: Loose[]): string {
  return parts.flatMap((part) => (typeof part.text === 'string' ? [part.text] : [])).join('\n');
}

/** OpenAI's chat body, also what Ollama's messages look like apart from images and JSON mode. */
function openAIText(content: unknown): string {
  return typeof content === 'string' ? content : textOfParts(list(content).filter((part) => part.type === 'text'));
}

function messageTurns(body: unknown): Array<{ role: string; text: string }> {
  return list(record(body).messages)
    .filter((message) => message.role !== 'system')
    .map((message) => ({ role: String(message.role), text: openAIText(message.content) }));
}

function messageSystemPrompt(body: unknown): string | undefined {
  const system = list(record(body).messages).find((message) => message.role === 'system');
  return system === undefined ? undefined : openAIText(system.content);
}

const openAIWire: UpstreamWire = {
  systemPrompt: messageSystemPrompt,
  turns: messageTurns,
  images: (body) =>
    list(record(body).messages)
      .flatMap((message) => list(message.content))
      .filter((part) => part.type === 'image_url')
      .map((part) => String(record(part.image_url).url).replace(/^data:[^,]*,/, '')),
  jsonMode: (body) => record(record(body).response_format).type === 'json_object',
};

const ollamaWire: UpstreamWire = {
  systemPrompt: messageSystemPrompt,
  turns: messageTurns,
  images: (body) => list(record(body).messages).flatMap((message) => (message.images ?? []) as string[]),
  jsonMode: (body) => record(body).format !== undefined,
};

const anthropicWire: UpstreamWire = {
  systemPrompt: (body) => {
    const system = record(body).system;
    return typeof system === 'string' ? system : undefined;
  },
  turns: (body) =>
    list(record(body).messages).map((message) => ({
      role: String(message.role),
      text: openAIText(message.content),
    })),
  images: (body) =>
    list(record(body).messages)
      .flatMap((message) => list(message.content))
      .filter((block) => block.type === 'image')
      .map((block) => String(record(block.source).data)),
  jsonMode: () => false,
};

const geminiWire: UpstreamWire = {
  systemPrompt: (body) => {
    const instruction = record(body).systemInstruction;
    return instruction === undefined ? undefined : textOfParts(list(record(instruction).parts));
  },
  turns: (body) =>
    list(record(body).contents).map((content) => ({
      role: String(content.role),
      text: textOfParts(list(content.parts)),
    })),
  images: (body) =>
    list(record(body).contents)
      .flatMap((content) => list(content.parts))
      .flatMap((part) => (part.inlineData === undefined ? [] : [String(record(part.inlineData).data)])),
  jsonMode: (body) => record(record(body).generationConfig).responseMimeType === 'application/json',
};

describeProviderContract('openai-compatible', async (options) => {
  const apiKey = 'sk-contract-key-1234567890';
  const fake = await startFakeOpenAI({
    apiKey,
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  });
  const adapter = createOpenAICompatibleProvider({
    id: 'openai',
    type: 'openai-compatible',
    baseURL: options.baseURL ?? fake.url,
    apiKey,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    adapter,
    fake,
    wire: openAIWire,
    modelName: 'gpt-4o-mini',
    embeddingModelName: 'text-embedding-3-small',
    capabilities: { tools: true, images: true, jsonMode: true, embeddings: true },
  };
});

describeProviderContract('ollama', async (options) => {
  const fake = await startFakeOllama(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs });
  const adapter = createOllamaProvider({
    id: 'local-ollama',
    type: 'ollama',
    baseURL: options.baseURL ?? fake.url,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    adapter,
    fake,
    wire: ollamaWire,
    modelName: 'llama3.1:8b',
    capabilities: { tools: true, images: true, jsonMode: true, embeddings: true },
  };
});

describeProviderContract('anthropic', async (options) => {
  const apiKey = 'sk-ant-contract-key-1234567890';
  const fake = await startFakeAnthropic({
    apiKey,
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  });
  const adapter = createAnthropicProvider({
    id: 'anthropic',
    type: 'anthropic',
    baseURL: options.baseURL ?? fake.url,
    apiKey,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    adapter,
    fake,
    wire: anthropicWire,
    modelName: 'claude-sonnet-4-5',
    // Anthropic has no JSON-mode flag (the adapter asks for JSON in the system prompt instead) and no embeddings API.
    capabilities: { tools: true, images: true, jsonMode: false, embeddings: false },
  };
});

describeProviderContract('gemini', async (options) => {
  const apiKey = 'AIzaContractKey1234567890';
  const fake = await startFakeGemini({
    apiKey,
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  });
  const adapter = createGeminiProvider({
    id: 'gemini',
    type: 'gemini',
    baseURL: options.baseURL ?? fake.url,
    apiKey,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    adapter,
    fake,
    wire: geminiWire,
    modelName: 'gemini-2.5-flash',
    embeddingModelName: 'gemini-embedding-001',
    capabilities: { tools: true, images: true, jsonMode: true, embeddings: true },
  };
});

// Echo runs in-process: it has no upstream, so every case that needs one is skipped with that reason.
describeProviderContract('echo', async () => ({
  adapter: createEchoProvider({ id: 'echo', type: 'echo', baseURL: '' }),
  fake: null,
  wire: null,
  modelName: 'echo',
  capabilities: { tools: false, images: false, jsonMode: false, embeddings: false },
}));
