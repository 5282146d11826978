import { SwitchyardError } from '@switchyard/core';
import type { ConversationMessageRow, ConversationRow } from '@switchyard/db';
import type { NewMessage } from './conversation-store';

export const exportFormatVersion = 1;

export interface ExportedChat {
  title: string;
  model: string | null;
  folder: string | null;
  tags: string[];
  pinned: boolean;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  messages: Array<{ role: string; content: string; model: string | null; createdAt: string }>;
}

export function exportChat(chat: ConversationRow, messages: readonly ConversationMessageRow[]): ExportedChat {
  return {
    title: chat.title,
    model: chat.model,
    folder: chat.folder,
    tags: chat.tags,
    pinned: chat.pinned,
    archived: chat.archived,
    createdAt: chat.createdAt.toISOString(),
    updatedAt: chat.updatedAt.toISOString(),
    messages: messages.map((message) => ({
      role: message.role,
      content: message.content,
      model: message.model,
      createdAt: message.createdAt.toISOString(),
    })),
  };
}

export function chatToMarkdown(chat: ExportedChat): string {
  const lines = [`# ${chat.title}`, ''];
  if (chat.model) lines.push(`Model: ${chat.model}`, '');
  for (const message of chat.messages) {
    lines.push(`## ${message.role}`, '', message.content, '');
  }
  return lines.join('\n');
}

export interface ImportedChat {
  title: string;
  model: string | null;
  folder: string | null;
  tags: string[];
  createdAt: Date | null;
  messages: NewMessage[];
}

const roles = new Set(['user', 'assistant', 'system']);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

function fromSwitchyard(chat: Record<string, unknown>): ImportedChat {
  const messages = Array.isArray(chat.messages) ? chat.messages : [];
  return {
    title: text(chat.title, 'Imported chat').slice(0, 200),
    model: typeof chat.model === 'string' ? chat.model : null,
    folder: typeof chat.folder === 'string' ? chat.folder : null,
    tags: Array.isArray(chat.tags)
      ? chat.tags.filter((tag): tag is string => typeof tag === 'string').slice(0, 20)
      : [],
    createdAt: null,
    messages: messages.filter(isRecord).flatMap((message): NewMessage[] => {
      const role = text(message.role, '');
      if (!roles.has(role) || typeof message.content !== 'string') return [];
      return [{ role: role as NewMessage['role'], content: message.content, model: text(message.model, '') || null }];
    }),
  };
}

/**
 * ChatGPT's export: `mapping` is a tree of nodes (parent/children); the chat
 * shown to the user is the path from the root to `current_node`, so branches
 * the user edited away are left out. Without current_node, follow first children.
 */
function fromChatGpt(chat: Record<string, unknown>): ImportedChat {
  const mapping = isRecord(chat.mapping) ? chat.mapping : {};
  const nodes = new Map(
    Object.entries(mapping).filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1])),
  );
  let path: Array<Record<string, unknown>> = [];
  const current = typeof chat.current_node === 'string' ? nodes.get(chat.current_node) : undefined;
  if (current) {
    const seen = new Set<unknown>();
    for (let node: Record<string, unknown> | undefined = current; node && !seen.has(node); ) {
      seen.add(node);
      path.unshift(node);
      node = typeof node.parent === 'string' ? nodes.get(node.parent) : undefined;
    }
  } else {
    const root = [...nodes.values()].find((node) => typeof node.parent !== 'string' || !nodes.has(node.parent));
    const seen = new Set<unknown>();
    for (let node = root; node && !seen.has(node); ) {
      seen.add(node);
      path.push(node);
      const children = Array.isArray(node.children) ? node.children : [];
      node = typeof children[0] === 'string' ? nodes.get(children[0]) : undefined;
    }
  }
  path = path.filter((node) => isRecord(node.message));
  const messages = path.flatMap((node): NewMessage[] => {
    const message = node.message as Record<string, unknown>;
    const role = isRecord(message.author) ? text(message.author.role, '') : '';
    const content = isRecord(message.content) ? message.content : {};
    const parts = Array.isArray(content.parts)
      ? content.parts.filter((part): part is string => typeof part === 'string')
      : [];
    const body = parts.join('\n').trim();
    if (!roles.has(role) || body.length === 0) return [];
    const created = typeof message.create_time === 'number' ? new Date(message.create_time * 1000) : undefined;
    return [{ role: role as NewMessage['role'], content: body, ...(created ? { createdAt: created } : {}) }];
  });
  return {
    title: text(chat.title, 'Imported chat').slice(0, 200),
    model: null,
    folder: null,
    tags: [],
    createdAt: typeof chat.create_time === 'number' ? new Date(chat.create_time * 1000) : null,
    messages,
  };
}

/** Accepts our export (one chat, `{ chats: [...] }`) and ChatGPT's `conversations.json` (an array). */
export function parseImport(body: unknown, maximumChats: number): ImportedChat[] {
  const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.chats) ? body.chats : [body];
  const chats = list.filter(isRecord);
  if (chats.length === 0) throw new SwitchyardError('SY_ERR_VALIDATION', 'Nothing to import: send chats');
  if (chats.length > maximumChats) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `At most ${maximumChats} chats per import`);
  }
  return chats.map((chat) => (isRecord(chat.mapping) ? fromChatGpt(chat) : fromSwitchyard(chat)));
}
