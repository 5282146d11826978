import type { Environment } from '../environment';
import type { KeyScope } from '../scopes';

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
  /** What the caller may do (a key's scopes); absent for anonymous callers. Built-in skills that spend a
   * capability's budget (images) check it, so the `apps` scope does not widen a key. */
  readonly scopes?: readonly KeyScope[];
  /** The chat the skill is called from (the web app's chat), for skills that link what they make to it. */
  readonly conversationId?: string;
}

/** A step a long skill reports while it works (remote apps send them as SSE). */
export interface SkillProgress {
  readonly message: string;
  /** 0…1 when the skill knows how far it is. */
  readonly fraction?: number;
}

export interface SkillCall {
  readonly environment: Environment;
  readonly caller: SkillCaller;
  readonly input: Readonly<Record<string, unknown>>;
  /** Aborted at the call's deadline or when the client leaves. */
  readonly signal: AbortSignal;
  /** Progress as the skill reports it (optional: not every app reports, not every caller listens). */
  readonly onProgress?: (progress: SkillProgress) => void;
}

export interface SkillResult {
  /** The result as text (what a model reads). */
  readonly text: string;
  /** The skill itself reported a failure (the call worked; the work did not). */
  readonly isError: boolean;
  /** True when the text was cut at the app's output limit. */
  readonly truncated: boolean;
}

/**
 * A preset an app defines: a system prompt, the skills it may use (null: all of the app's) and a
 * preferred model. A chat selects one with `"focus": "<mode>"` or `"focus": "<app>/<mode>"`.
 */
export interface FocusModeDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly systemPrompt: string;
  readonly skills: readonly string[] | null;
  readonly model: string | null;
}

/** Built in (runs in-process), an MCP server, or a remote HTTP app (manifest + signed calls). */
export type AppKind = 'builtin' | 'mcp' | 'http';

/** A running app: its skills and how to call them. */
export interface AppRuntime {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly kind: AppKind;
  readonly environments: readonly Environment[];
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The skills as last seen (MCP apps refresh them when the server announces a change). */
  skills(): Promise<readonly SkillDefinition[]>;
  /** The focus modes it offers (a remote app's come with its manifest). */
  focusModes(): Promise<readonly FocusModeDefinition[]>;
  invoke(skill: string, call: SkillCall): Promise<SkillResult>;
  /** One round trip to the app (health checks); without it, listing the skills is the check. */
  ping?(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
