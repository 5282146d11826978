import Type, { type Static } from 'typebox';
import { AppIdsSchema, FocusSchema } from './chat';
import { pagedList, pageQueryFields, projectIdField, projectQueryField, sharingFields } from './common';

/**
 * A signed-in user's chats (/api/chats), the streamed answers (/api/chat), prompt templates
 * (/api/templates) and files (/api/files). additionalProperties: false on every body: userId,
 * role or environment in a body is a 400, never stored.
 */

/** Sampling parameters sent with each answer; an absent one is the model's default. */
export const ChatParameters = Type.Object(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type ChatParameters = Static<typeof ChatParameters>;

const systemPromptField = Type.Union([Type.String({ maxLength: 20_000 }), Type.Null()], {
  description: 'Sent before the conversation with every answer',
});

const chatFields = {
  systemPrompt: Type.Optional(systemPromptField),
  parameters: Type.Optional(ChatParameters),
  assistantId: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
      description: 'A custom assistant of yours (GET /api/assistants): its instructions, model, apps and files',
    }),
  ),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  model: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  folder: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 })),
  pinned: Type.Optional(Type.Boolean()),
  archived: Type.Optional(Type.Boolean()),
};
export const CreateChatRequest = Type.Object(
  { ...chatFields, projectId: Type.Optional(projectIdField) },
  { additionalProperties: false },
);
export type CreateChatRequest = Static<typeof CreateChatRequest>;
export const UpdateChatRequest = Type.Object(chatFields, { additionalProperties: false, minProperties: 1 });
export type UpdateChatRequest = Static<typeof UpdateChatRequest>;

/** A chat as the API shows it (never its owner). */
export const ChatSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  folder: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  pinned: Type.Boolean(),
  archived: Type.Boolean(),
  systemPrompt: Type.Union([Type.String(), Type.Null()]),
  parameters: ChatParameters,
  assistantId: Type.Union([Type.String(), Type.Null()]),
  activeLeafId: Type.Union([Type.String(), Type.Null()], {
    description: 'The last message of the branch the chat shows',
  }),
  ...sharingFields,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type ChatSummary = Static<typeof ChatSummary>;

export const ChatListQuery = Type.Object({
  ...pageQueryFields(),
  archived: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  folder: Type.Optional(Type.String({ maxLength: 200 })),
  tag: Type.Optional(Type.String({ maxLength: 50 })),
  ...projectQueryField,
});
export type ChatListQuery = Static<typeof ChatListQuery>;

export const ChatList = pagedList('chats', ChatSummary);
export type ChatList = Static<typeof ChatList>;

export const FolderList = Type.Object({
  folders: Type.Array(Type.Object({ name: Type.String(), chats: Type.Integer() })),
});
export type FolderList = Static<typeof FolderList>;

export const ChatSearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500 }),
  ...pageQueryFields(),
  ...projectQueryField,
});

export const SearchHit = Type.Object({
  chatId: Type.String(),
  chatTitle: Type.String(),
  messageId: Type.String(),
  role: Type.String(),
  snippet: Type.String(),
  createdAt: Type.String(),
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchResults = pagedList('results', SearchHit);
export type SearchResults = Static<typeof SearchResults>;

/** Switchyard's own export, or ChatGPT's conversations.json (an array). */
export const ImportChatsRequest = Type.Union([Type.Object({}), Type.Array(Type.Unknown())]);

export const AddMessageRequest = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
    content: Type.String({ minLength: 1, maxLength: 200_000 }),
  },
  { additionalProperties: false },
);
export type AddMessageRequest = Static<typeof AddMessageRequest>;

/** One skill call behind an answer (a chat with apps), stored with the answer. */
export const ToolStep = Type.Object({
  id: Type.String(),
  app: Type.String(),
  skill: Type.String(),
  input: Type.Unknown({ description: 'The arguments the model gave (the raw text when they were not JSON)' }),
  output: Type.Union([Type.String(), Type.Null()], { description: 'Null when the answer was stopped mid-call' }),
  isError: Type.Boolean(),
  durationMs: Type.Union([Type.Number(), Type.Null()]),
});
export type ToolStep = Static<typeof ToolStep>;

/** A stored message of a chat. */
export const ConversationMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()], {
    description: 'The message this one follows (null for a first message); versions share a parent',
  }),
  siblingIds: Type.Array(Type.String(), {
    description: 'The versions of this message (regenerated answers, edited questions), itself included, oldest first',
  }),
  siblingIndex: Type.Integer({ description: 'Where this message is among siblingIds (0-based)' }),
  siblingCount: Type.Integer(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
  content: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('complete'), Type.Literal('partial'), Type.Literal('failed')], {
    description: 'partial: stopped or failed mid-way, the text so far is kept',
  }),
  error: Type.Union([Type.String(), Type.Null()]),
  promptTokens: Type.Union([Type.Integer(), Type.Null()]),
  completionTokens: Type.Union([Type.Integer(), Type.Null()]),
  firstTokenMs: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  attachments: Type.Array(Type.String(), { description: 'File ids (POST /api/files) sent with the message' }),
  toolSteps: Type.Array(ToolStep, { description: 'The skill calls the model made for this answer, in order' }),
  createdAt: Type.String(),
});
export type ConversationMessage = Static<typeof ConversationMessage>;

export const MessageList = pagedList('messages', ConversationMessage);
export type MessageList = Static<typeof MessageList>;

/** GET /api/chats/:id/messages: a page of the branch shown, with the branch's length. */
export const MessagePage = Type.Object({
  ...MessageList.properties,
  total: Type.Integer({ description: 'How many messages the branch shown holds (every page of it)' }),
  from: Type.Union([Type.Literal('start'), Type.Literal('end')], { description: 'Where the offset counts from' }),
});
export type MessagePage = Static<typeof MessagePage>;

export const ActivateBranchRequest = Type.Object(
  {
    messageId: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Show the branch through this message (it continues to its newest descendant)',
    }),
  },
  { additionalProperties: false },
);
export type ActivateBranchRequest = Static<typeof ActivateBranchRequest>;

export const MessageParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  messageId: Type.String({ maxLength: 100 }),
});

export const ExportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown')])),
});

export const ShareLink = Type.Object({
  token: Type.String(),
  path: Type.String({ description: 'The JSON API of the shared chat' }),
  url: Type.String({ description: 'The page of the web app that shows it' }),
});
export type ShareLink = Static<typeof ShareLink>;

export const RevokedShares = Type.Object({ revoked: Type.Integer() });
export type RevokedShares = Static<typeof RevokedShares>;

export const ShareParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 100 }) });

export const SharedChat = Type.Object({
  title: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  messages: Type.Array(
    Type.Object({
      role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
      content: Type.String(),
      createdAt: Type.String(),
    }),
  ),
});
export type SharedChat = Static<typeof SharedChat>;

/** POST /api/chat: start an answer; it streams from GET /api/chat/stream. */
export const StartChatRequest = Type.Object(
  {
    chatId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** For a new chat (no chatId): share it in this project. */
    projectId: Type.Optional(projectIdField),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        minItems: 2,
        maxItems: 3,
        uniqueItems: true,
        description: 'Compare: each model answers the same message; the answers are versions of one another',
      }),
    ),
    message: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200_000, description: 'Required unless answerTo is given' }),
    ),
    parentId: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
        description:
          'The message the new one follows (default: the end of the branch shown); editing a question sends ' +
          "the new text with the question's own parentId, so both versions are kept",
      }),
    ),
    answerTo: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Regenerate: answer this question of the chat again, as a new version beside its answers',
      }),
    ),
    systemPrompt: Type.Optional(systemPromptField),
    parameters: Type.Optional(ChatParameters),
    assistantId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
    templateId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    variables: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 100_000 }))),
    attachments: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 10 })),
    apps: Type.Optional(AppIdsSchema),
    focus: Type.Optional(FocusSchema),
  },
  { additionalProperties: false },
);
export type StartChatRequest = Static<typeof StartChatRequest>;

const StartedSession = Type.Object({
  sessionId: Type.String(),
  messageId: Type.String({ description: 'The id the answer is stored under' }),
  model: Type.String(),
});

export const StartChatResponse = Type.Object({
  sessionId: Type.String(),
  chatId: Type.String(),
  messageId: Type.String(),
  userMessageId: Type.String({ description: 'The question the answers follow (the given one with answerTo)' }),
  sessions: Type.Array(StartedSession, { description: 'One per model (several when comparing)' }),
});
export type StartChatResponse = Static<typeof StartChatResponse>;

export const ChatSessionRequest = Type.Object(
  { sessionId: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export type ChatSessionRequest = Static<typeof ChatSessionRequest>;

export const ChatStreamQuery = Type.Object({
  sessionId: Type.String({ minLength: 1, maxLength: 100 }),
  lastEventId: Type.Optional(Type.String({ maxLength: 12 })),
});

// Prompt templates

const templateFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 50_000 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
};
export const CreateTemplateRequest = Type.Object(
  { ...templateFields, projectId: Type.Optional(projectIdField) },
  { additionalProperties: false },
);
export type CreateTemplateRequest = Static<typeof CreateTemplateRequest>;
export const UpdateTemplateRequest = Type.Object(
  {
    name: Type.Optional(templateFields.name),
    body: Type.Optional(templateFields.body),
    description: templateFields.description,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTemplateRequest = Static<typeof UpdateTemplateRequest>;

export const RenderTemplateRequest = Type.Object(
  { variables: Type.Record(Type.String(), Type.String({ maxLength: 100_000 })) },
  { additionalProperties: false },
);
export type RenderTemplateRequest = Static<typeof RenderTemplateRequest>;

export const RenderedTemplate = Type.Object({ text: Type.String() });
export type RenderedTemplate = Static<typeof RenderedTemplate>;

/** A prompt template; `variables` are the `{{names}}` found in the body. */
export const PromptTemplate = Type.Object({
  id: Type.String(),
  name: Type.String(),
  body: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  variables: Type.Array(Type.String()),
  ...sharingFields,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type PromptTemplate = Static<typeof PromptTemplate>;

export const TemplateList = pagedList('templates', PromptTemplate);
export type TemplateList = Static<typeof TemplateList>;

// Files

/** An uploaded file (never its storage key or text: GET /api/files/:id/text has that). */
export const UploadedFile = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mimeType: Type.String({ description: 'Sniffed from the bytes, never taken from the client' }),
  bytes: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')]),
  error: Type.Union([Type.String(), Type.Null()]),
  extractedCharacters: Type.Union([Type.Integer(), Type.Null()]),
  ...sharingFields,
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});
export type UploadedFile = Static<typeof UploadedFile>;

export const FileList = pagedList('files', UploadedFile);
export type FileList = Static<typeof FileList>;

export const FileLimits = Type.Object({ maxBytes: Type.Integer(), maxFiles: Type.Integer() });
export type FileLimits = Static<typeof FileLimits>;

export const FileText = Type.Object({ text: Type.String() });
export type FileText = Static<typeof FileText>;

// Presets and assistants

const nameField = Type.String({ minLength: 1, maxLength: 200 });
const modelField = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);

export const CreatePresetRequest = Type.Object(
  {
    name: nameField,
    systemPrompt: Type.Optional(systemPromptField),
    model: Type.Optional(modelField),
    parameters: Type.Optional(ChatParameters),
  },
  { additionalProperties: false },
);
export type CreatePresetRequest = Static<typeof CreatePresetRequest>;
export const UpdatePresetRequest = Type.Partial(CreatePresetRequest, { additionalProperties: false, minProperties: 1 });
export type UpdatePresetRequest = Static<typeof UpdatePresetRequest>;

/** A saved system prompt, model and parameters, applied to a chat in one go. */
export const ChatPreset = Type.Object({
  id: Type.String(),
  name: Type.String(),
  systemPrompt: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  parameters: ChatParameters,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type ChatPreset = Static<typeof ChatPreset>;

export const PresetList = pagedList('presets', ChatPreset);
export type PresetList = Static<typeof PresetList>;

export const CreateAssistantRequest = Type.Object(
  {
    name: nameField,
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    instructions: Type.String({ minLength: 1, maxLength: 20_000 }),
    model: Type.Optional(modelField),
    parameters: Type.Optional(ChatParameters),
    apps: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }), {
        maxItems: 16,
        uniqueItems: true,
        description: 'Apps a chat with the assistant may use (GET /v1/apps)',
      }),
    ),
    files: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 10,
        uniqueItems: true,
        description: 'Your files (POST /api/files) whose text the assistant knows in every chat',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateAssistantRequest = Static<typeof CreateAssistantRequest>;
export const UpdateAssistantRequest = Type.Partial(CreateAssistantRequest, {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateAssistantRequest = Static<typeof UpdateAssistantRequest>;

/** A custom assistant: a chat with it gets its instructions, model, parameters, apps and files. */
export const Assistant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  instructions: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  parameters: ChatParameters,
  apps: Type.Array(Type.String()),
  files: Type.Array(Type.String()),
  projectId: Type.Union([Type.String(), Type.Null()], { description: 'Reserved for sharing within a project' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type Assistant = Static<typeof Assistant>;

export const AssistantList = pagedList('assistants', Assistant);
export type AssistantList = Static<typeof AssistantList>;
