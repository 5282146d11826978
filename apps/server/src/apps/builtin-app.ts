import type { AppRuntime, Environment, SkillCall, SkillDefinition, SkillResult } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { defaultMaxOutputBytes, defaultSkillTimeoutMs } from './mcp-app';
import { limitOutput } from './output-limit';

/** One skill of a built-in app: its definition and the code that runs it. */
export interface BuiltinSkill {
  readonly definition: SkillDefinition;
  /** A string is a result; `{text, isError: true}` is the skill's own failure, which the model reads. */
  run(call: SkillCall): Promise<string | { text: string; isError: boolean }>;
}

export interface BuiltinAppOptions {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly environments?: readonly Environment[] | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxOutputBytes?: number | undefined;
  /** Only the skills whose backend is configured (no web-search provider: no `search`). */
  readonly skills: readonly BuiltinSkill[];
  readonly close?: () => Promise<void>;
}

/** The skill's own failure as a result the model can read and act on. */
export const skillFailure = (text: string) => ({ text, isError: true });

/** An app that runs in-process: its skills are functions, its limits those of any app. */
export function createBuiltinApp(options: BuiltinAppOptions): AppRuntime {
  const maxOutputBytes = options.maxOutputBytes ?? defaultMaxOutputBytes;
  const definitions = options.skills.map((skill) => skill.definition);
  return {
    id: options.id,
    name: options.name,
    description: options.description,
    kind: 'builtin',
    environments: options.environments ?? ['prod', 'dev'],
    timeoutMs: options.timeoutMs ?? defaultSkillTimeoutMs,
    maxOutputBytes,
    skills: async () => definitions,
    focusModes: async () => [],
    async invoke(name: string, call: SkillCall): Promise<SkillResult> {
      const skill = options.skills.find((candidate) => candidate.definition.name === name);
      if (!skill) throw new SwitchyardError('SY_ERR_SKILL_NOT_FOUND', `App '${options.id}' has no skill '${name}'`);
      const outcome = await skill.run(call);
      const { text, isError } = typeof outcome === 'string' ? { text: outcome, isError: false } : outcome;
      const limited = limitOutput(text, maxOutputBytes);
      return { text: limited.text, truncated: limited.truncated, isError };
    },
    close: async () => {
      await options.close?.();
    },
  };
}
