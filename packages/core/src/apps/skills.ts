import type { Environment } from '../environment';

/** A skill an app offers: what a model (or a client) may call, with a JSON Schema for its input. */
export interface SkillDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the input object. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

/** Who calls a skill: never their secrets, only what identifies them. */
export interface SkillCaller {
  readonly kind: 'key' | 'user' | 'anonymous';
  /** `key:<id>`, `user:<id>` or `ip:<address>`. */
  readonly subject: string;
  readonly userId: string | null;
}

export interface SkillCall {
  readonly environment: Environment;
  readonly caller: SkillCaller;
  readonly input: Readonly<Record<string, unknown>>;
  /** Aborted at the call's deadline or when the client leaves. */
  readonly signal: AbortSignal;
}

export interface SkillResult {
  /** The result as text (what a model reads). */
  readonly text: string;
  /** The skill itself reported a failure (the call worked; the work did not). */
  readonly isError: boolean;
  /** True when the text was cut at the app's output limit. */
  readonly truncated: boolean;
}

/** A running app: its skills and how to call them. Kinds: built-in, MCP (later: remote HTTP). */
export interface AppRuntime {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly kind: 'builtin' | 'mcp';
  readonly environments: readonly Environment[];
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The skills as last seen (MCP apps refresh them when the server announces a change). */
  skills(): Promise<readonly SkillDefinition[]>;
  invoke(skill: string, call: SkillCall): Promise<SkillResult>;
  close(): Promise<void>;
}
