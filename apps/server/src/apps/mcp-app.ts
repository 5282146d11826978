import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { AppEntry, AppRuntime, Environment, SkillCall, SkillDefinition, SkillResult } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { Logger } from 'pino';
import { type Dispatcher, fetch as undiciFetch } from 'undici';
import { version } from '../version';
import { focusModesOf } from './focus-modes';
import { limitOutput } from './output-limit';

export const defaultSkillTimeoutMs = 30_000;
export const defaultMaxOutputBytes = 64 * 1024;
/**
 * Starting and greeting a server (a stdio server is a fresh process) is not a skill call: it gets
 * its own, longer limit, so a short skill timeout does not make a slow-starting app look down.
 */
export const connectTimeoutMs = 30_000;

interface McpContent {
  type: string;
  text?: string;
  mimeType?: string;
  resource?: { uri?: string; text?: string };
}

/** What a model reads from an MCP tool result: its text parts, and a note for each other part. */
export function textOfMcpContent(content: readonly McpContent[]): string {
  return content
    .map((part) => {
      if (part.type === 'text') return part.text ?? '';
      if (part.type === 'resource' && part.resource?.text !== undefined) return part.resource.text;
      if (part.type === 'resource_link' || part.type === 'resource') return `[resource ${part.resource?.uri ?? ''}]`;
      return `[${part.type}${part.mimeType ? ` ${part.mimeType}` : ''}]`;
    })
    .join('\n');
}

function unavailable(app: string, cause: unknown): SwitchyardError {
  return new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `App '${app}' is unavailable: ${(cause as Error).message}`, {
    cause,
  });
}

/**
 * An MCP server as an app: its tools are its skills. Connects on first use (and again after the
 * connection is lost), lists the tools, and lists them again when the server announces a change.
 */
export function createMcpApp(entry: AppEntry, logger: Logger, options: { dispatcher?: Dispatcher } = {}): AppRuntime {
  const timeoutMs = entry.timeoutMs ?? defaultSkillTimeoutMs;
  const maxOutputBytes = entry.maxOutputBytes ?? defaultMaxOutputBytes;
  let connecting: Promise<Client> | null = null;
  let tools: SkillDefinition[] | null = null;
  let closed = false;
  const focusModes = focusModesOf(entry.focusModes);

  // The MCP SDK loads when an MCP app first connects, not at every start.
  async function transportOf(): Promise<Transport> {
    if (entry.command) {
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const [command, ...args] = entry.command;
      return new StdioClientTransport({
        command: command ?? '',
        args,
        // Only what the app is given: Switchyard's own environment (its secrets) stays here.
        env: { PATH: process.env.PATH ?? '', ...entry.env },
        ...(entry.cwd ? { cwd: entry.cwd } : {}),
        stderr: 'ignore',
      });
    }
    const { dispatcher } = options;
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    return new StreamableHTTPClientTransport(new URL(entry.url ?? ''), {
      requestInit: { headers: { ...entry.headers } },
      // undici's fetch, so every connection (redirects too) goes through the given dispatcher.
      ...(dispatcher
        ? {
            fetch: (url: string | URL, init?: RequestInit) =>
              undiciFetch(url, {
                ...(init as Parameters<typeof undiciFetch>[1]),
                dispatcher,
              }) as unknown as Promise<Response>,
          }
        : {}),
    });
  }

  const toDefinitions = (
    list: ReadonlyArray<{ name: string; description?: string | undefined; inputSchema: unknown }>,
  ) =>
    list.map((tool) => ({
      name: tool.name,
      description: tool.description ?? '',
      inputSchema: (tool.inputSchema ?? { type: 'object' }) as Record<string, unknown>,
    }));

  async function connect(): Promise<Client> {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new Client(
      { name: 'switchyard', version },
      {
        listChanged: {
          tools: {
            onChanged: (error, changed) => {
              if (error) logger.warn({ app: entry.id, reason: error.message }, 'refreshing app skills failed');
              else if (changed) tools = toDefinitions(changed);
            },
          },
        },
      },
    );
    const transport = await transportOf();
    transport.onclose = () => {
      // The next call reconnects (a stdio server that exited is started again).
      connecting = null;
      tools = null;
    };
    try {
      const limit = Math.max(timeoutMs, connectTimeoutMs);
      await client.connect(transport, { timeout: limit });
      tools = toDefinitions((await client.listTools(undefined, { timeout: limit })).tools);
      logger.info({ app: entry.id, skills: tools.length }, 'app connected');
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  }

  function client(): Promise<Client> {
    if (closed) return Promise.reject(unavailable(entry.id, new Error('the server is shutting down')));
    connecting ??= connect().catch((error) => {
      connecting = null;
      throw unavailable(entry.id, error);
    });
    return connecting;
  }

  return {
    id: entry.id,
    name: entry.name ?? entry.id,
    description: entry.description ?? '',
    kind: 'mcp',
    environments: entry.environments ?? (['prod', 'dev'] satisfies Environment[]),
    timeoutMs,
    maxOutputBytes,
    async skills() {
      await client();
      return tools ?? [];
    },
    focusModes: async () => focusModes,
    async invoke(skill: string, call: SkillCall): Promise<SkillResult> {
      const connected = await client();
      let result: Awaited<ReturnType<Client['callTool']>>;
      try {
        result = await connected.callTool(
          {
            name: skill,
            arguments: { ...call.input },
            // Who asks, for the app's own logs and permissions; never a secret.
            _meta: { 'switchyard/environment': call.environment, 'switchyard/caller': call.caller.subject },
          },
          undefined,
          { signal: call.signal, timeout: timeoutMs, ...progressOption(call) },
        );
      } catch (error) {
        if (call.signal.aborted) throw call.signal.reason ?? error;
        throw unavailable(entry.id, error);
      }
      const content = Array.isArray(result.content) ? (result.content as McpContent[]) : [];
      const structured = result.structuredContent;
      const text = content.length > 0 ? textOfMcpContent(content) : structured ? JSON.stringify(structured) : '';
      const limited = limitOutput(text, maxOutputBytes);
      return { text: limited.text, truncated: limited.truncated, isError: result.isError === true };
    },
    async ping(signal: AbortSignal) {
      const connected = await client();
      try {
        await connected.ping({ signal, timeout: timeoutMs });
      } catch (error) {
        throw unavailable(entry.id, error);
      }
    },
    async close() {
      closed = true;
      const pending = connecting;
      connecting = null;
      const connected = await pending?.catch(() => null);
      await connected?.close().catch(() => {});
    },
  };
}

/** Forwards the server's progress notifications to the caller, when it listens (the SDK then asks for them). */
function progressOption(call: SkillCall): { onprogress?: (progress: Progress) => void } {
  const listener = call.onProgress;
  if (!listener) return {};
  return {
    onprogress: ({ progress, total, message }) =>
      listener({
        message: message ?? (total ? `${progress} of ${total}` : String(progress)),
        ...(total ? { fraction: Math.min(progress / total, 1) } : {}),
      }),
  };
}
