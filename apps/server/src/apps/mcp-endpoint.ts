import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import {
  type AppRuntime,
  type Environment,
  isSwitchyardError,
  type SkillCaller,
  type SkillDefinition,
  type SkillProgress,
} from '@switchyard/core';
import { version } from '../version';
import type { AppAudience, AppRegistry } from './app-registry';
import { toolName } from './skill-loop';

/** Who the /mcp request is from: the key's environment decides which apps it sees. */
export interface McpEndpointContext {
  readonly environment: Environment;
  /** The caller's role and project: apps closed to it are not offered. */
  readonly audience: AppAudience;
  readonly caller: SkillCaller;
  /** Aborted when the client leaves. */
  readonly signal: AbortSignal;
  /** Removes configured secrets from error text a client sees (an app's message may quote one). */
  readonly scrub: (text: string) => string;
}

interface McpTool {
  readonly app: AppRuntime;
  readonly skill: SkillDefinition;
  readonly tool: Tool;
}

function toolOf(app: AppRuntime, skill: SkillDefinition): Tool {
  // MCP wants an object schema; a skill without one takes an object of anything.
  const schema = { type: 'object', ...skill.inputSchema } as Tool['inputSchema'];
  return {
    name: toolName(app.id, skill.name),
    title: `${app.name}: ${skill.name}`,
    description: skill.description || `${app.name}: ${skill.name}`,
    inputSchema: schema,
  };
}

/** Every skill of the apps (those whose tool names could be `name`, when given) as MCP tools; an app that is down offers none. */
async function toolsOf(apps: readonly AppRuntime[], name?: string): Promise<McpTool[]> {
  const candidates = name === undefined ? apps : apps.filter((app) => name.startsWith(toolName(app.id, '')));
  const listed = await Promise.all(candidates.map((app) => app.skills().catch(() => [] as SkillDefinition[])));
  const tools = new Map<string, McpTool>();
  for (const [index, app] of candidates.entries()) {
    for (const skill of listed[index] ?? []) {
      const tool = toolOf(app, skill);
      if (!tools.has(tool.name)) tools.set(tool.name, { app, skill, tool });
    }
  }
  return [...tools.values()];
}

/** What a skill's progress becomes for an MCP client: a value that only grows, out of 100 when the skill knows. */
function progressNotifier(send: (params: { progress: number; total?: number; message: string }) => void) {
  let last = 0;
  return (progress: SkillProgress) => {
    const known = progress.fraction !== undefined ? Math.min(Math.max(progress.fraction, 0), 1) * 100 : undefined;
    last = known !== undefined ? Math.max(last, known) : last + 1;
    send({ progress: last, ...(known !== undefined ? { total: 100 } : {}), message: progress.message });
  };
}

/**
 * Switchyard's own MCP server for one request (stateless Streamable HTTP: a fresh server per request, so
 * any process can answer any request): the skills the environment may use as tools `<app>__<skill>`, each
 * call run by the registry (input check, timeout, output limit, metrics, usage row). A skill's failure,
 * including input its schema refuses, is a tool result with `isError`, which a model can read and correct.
 */
export function createMcpEndpointServer(registry: AppRegistry, context: McpEndpointContext): Server {
  const server = new Server(
    { name: 'switchyard', title: 'Switchyard', version },
    {
      capabilities: { tools: {} },
      instructions: 'Tools are the skills of Switchyard apps, named <app>__<skill>.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = await toolsOf(registry.list(context.environment, context.audience));
    return { tools: tools.map((entry) => entry.tool) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const target = (await toolsOf(registry.list(context.environment, context.audience), name)).find(
      (entry) => entry.tool.name === name,
    );
    if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const progressToken = extra._meta?.progressToken;
    const onProgress =
      progressToken === undefined
        ? undefined
        : progressNotifier((params) => {
            void extra
              .sendNotification({ method: 'notifications/progress', params: { progressToken, ...params } })
              .catch(() => {});
          });
    try {
      const outcome = await registry.run(target.app, target.skill.name, {
        environment: context.environment,
        caller: context.caller,
        input: request.params.arguments ?? {},
        signal: AbortSignal.any([context.signal, extra.signal]),
        via: 'mcp',
        ...(onProgress ? { onProgress } : {}),
      });
      const text = outcome.truncated ? `${outcome.text}\n[output cut at the app's limit]` : outcome.text;
      return { content: [{ type: 'text', text }], isError: outcome.isError };
    } catch (error) {
      if (context.signal.aborted || extra.signal.aborted) throw error;
      // Internals of an unexpected failure stay in the log, not in the client's result.
      const text = isSwitchyardError(error)
        ? `Error (${error.code}): ${context.scrub(error.message)}`
        : 'Error (SY_ERR_INTERNAL): the skill failed';
      return { content: [{ type: 'text', text }], isError: true };
    }
  });

  return server;
}
