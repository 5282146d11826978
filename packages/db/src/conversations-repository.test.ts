import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConversationRepository,
  createConversationRepository,
  type NewConversation,
  type NewConversationMessage,
} from './conversations-repository';
import { describeOnEachDatabase } from './test-databases';

const page = { limit: 50, offset: 0 };

describeOnEachDatabase('conversation repository', (database) => {
  let repository: ConversationRepository;

  beforeAll(() => {
    repository = createConversationRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE conversations CASCADE`);
  });

  const chat = (id: string, userId: string, fields: Partial<NewConversation> = {}) =>
    repository.create({ id, userId, title: `chat ${id}`, ...fields });

  const message = (id: string, userId: string, content: string, createdAt = new Date()): NewConversationMessage => ({
    id,
    userId,
    role: 'user',
    content,
    createdAt,
  });

  /** Chats are listed by updatedAt; a fixed time per chat makes the order independent of the clock. */
  const setUpdatedAt = (id: string, at: Date) =>
    database().db.execute(sql`UPDATE conversations SET updated_at = ${at.toISOString()} WHERE id = ${id}`);

  it('creates a chat with the column defaults and finds it only for its owner', async () => {
    const created = await chat('chat_a', 'alice');
    expect(created).toMatchObject({ id: 'chat_a', userId: 'alice', tags: [], pinned: false, archived: false });
    expect(await repository.findForUser('chat_a', 'alice')).toEqual(created);
    expect(await repository.findForUser('chat_a', 'bob')).toBeUndefined();
    expect(await repository.findForUser('chat_missing', 'alice')).toBeUndefined();
  });

  it('lists the owner’s chats pinned first, then newest, filtered by archived, folder and tag, one page at a time', async () => {
    await chat('chat_old', 'alice', { folder: 'work', tags: ['a', 'b'] });
    await chat('chat_new', 'alice', { folder: 'home', tags: ['b'] });
    await chat('chat_pinned', 'alice', { pinned: true });
    await chat('chat_archived', 'alice', { archived: true, folder: 'work', tags: ['a'] });
    await chat('chat_bob', 'bob', { folder: 'work', tags: ['a'] });
    await setUpdatedAt('chat_old', new Date('2025-01-01T00:00:00Z'));
    await setUpdatedAt('chat_new', new Date('2025-01-03T00:00:00Z'));
    await setUpdatedAt('chat_pinned', new Date('2024-01-01T00:00:00Z'));
    await setUpdatedAt('chat_archived', new Date('2025-01-02T00:00:00Z'));

    const ids = async (filter: Parameters<ConversationRepository['listForUser']>[1], options = page) =>
      (await repository.listForUser('alice', filter, options)).map((row) => row.id);
    expect(await ids({})).toEqual(['chat_pinned', 'chat_new', 'chat_archived', 'chat_old']);
    expect(await ids({ archived: false })).toEqual(['chat_pinned', 'chat_new', 'chat_old']);
    expect(await ids({ archived: true })).toEqual(['chat_archived']);
    expect(await ids({ folder: 'work' })).toEqual(['chat_archived', 'chat_old']);
    expect(await ids({ tag: 'a' })).toEqual(['chat_archived', 'chat_old']);
    expect(await ids({ tag: 'b', archived: false })).toEqual(['chat_new', 'chat_old']);
    expect(await ids({ folder: 'work', tag: 'b' })).toEqual(['chat_old']);
    expect(await ids({ tag: 'missing' })).toEqual([]);
    expect(await ids({}, { limit: 2, offset: 1 })).toEqual(['chat_new', 'chat_archived']);
    expect((await repository.listForUser('bob', {}, page)).map((row) => row.id)).toEqual(['chat_bob']);
  });

  it('counts the owner’s chats per folder, archived ones included, by name', async () => {
    await chat('chat_1', 'alice', { folder: 'work' });
    await chat('chat_2', 'alice', { folder: 'work', archived: true });
    await chat('chat_3', 'alice', { folder: 'Archive' });
    await chat('chat_4', 'alice');
    await chat('chat_5', 'bob', { folder: 'work' });
    await chat('chat_6', 'bob', { folder: 'secret' });
    expect(await repository.listFoldersForUser('alice')).toEqual([
      { name: 'Archive', chats: 1 },
      { name: 'work', chats: 2 },
    ]);
    expect(await repository.listFoldersForUser('carol')).toEqual([]);
  });

  it('updates and deletes only the owner’s chat, moving updatedAt forward', async () => {
    await chat('chat_a', 'alice');
    await setUpdatedAt('chat_a', new Date('2025-01-01T00:00:00Z'));
    expect(await repository.updateForUser('chat_a', 'bob', { title: 'taken' })).toBeUndefined();
    const updated = await repository.updateForUser('chat_a', 'alice', { title: 'renamed', folder: null, tags: ['x'] });
    expect(updated).toMatchObject({ title: 'renamed', folder: null, tags: ['x'] });
    expect(updated?.updatedAt.getTime()).toBeGreaterThan(Date.parse('2025-01-02T00:00:00Z'));
    expect(await repository.updateForUser('chat_missing', 'alice', { pinned: true })).toBeUndefined();

    expect(await repository.deleteForUser('chat_a', 'bob')).toBe(false);
    expect(await repository.findForUser('chat_a', 'alice')).toBeDefined();
    expect(await repository.deleteForUser('chat_a', 'alice')).toBe(true);
    expect(await repository.deleteForUser('chat_a', 'alice')).toBe(false);
  });

  it('adds messages, touches the chat, lists them oldest first and deletes them with the chat', async () => {
    await chat('chat_a', 'alice');
    await setUpdatedAt('chat_a', new Date('2025-01-01T00:00:00Z'));
    expect(await repository.addMessages('chat_a', [])).toEqual([]);
    const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, second));
    const added = await repository.addMessages('chat_a', [
      message('msg_b', 'alice', 'second', at(2)),
      message('msg_a', 'alice', 'first', at(1)),
      { ...message('msg_c', 'alice', 'third', at(2)), role: 'assistant', model: 'llama3.2', status: 'partial' },
    ]);
    expect(added.map((row) => [row.id, row.conversationId])).toEqual([
      ['msg_b', 'chat_a'],
      ['msg_a', 'chat_a'],
      ['msg_c', 'chat_a'],
    ]);
    expect(added[2]).toMatchObject({ role: 'assistant', model: 'llama3.2', status: 'partial', attachments: [] });
    const touched = await repository.findForUser('chat_a', 'alice');
    expect(touched?.updatedAt.getTime()).toBeGreaterThan(Date.parse('2025-01-02T00:00:00Z'));

    // Messages added together follow one another in the order given (whatever their times), and the
    // chat shows that branch, ending at the last.
    const listed = await repository.listMessages('chat_a', page);
    expect(listed.map((row) => [row.id, row.parentId])).toEqual([
      ['msg_b', null],
      ['msg_a', 'msg_b'],
      ['msg_c', 'msg_a'],
    ]);
    expect(listed.map((row) => row.siblingIds)).toEqual([['msg_b'], ['msg_a'], ['msg_c']]);
    expect((await repository.findForUser('chat_a', 'alice'))?.activeLeafId).toBe('msg_c');
    expect((await repository.listMessages('chat_a', { limit: 1, offset: 1 })).map((row) => row.id)).toEqual(['msg_a']);

    // A second answer to msg_a is a sibling of msg_c; it is not shown while the branch ends elsewhere.
    await repository.addMessages('chat_a', [{ ...message('msg_d', 'alice', 'again', at(3)), parentId: 'msg_a' }], {
      activate: 'whenFollowing',
    });
    expect((await repository.listMessages('chat_a', page)).map((row) => row.id)).toEqual(['msg_b', 'msg_a', 'msg_c']);
    expect((await repository.listMessages('chat_a', page)).at(-1)?.siblingIds).toEqual(['msg_c', 'msg_d']);
    expect(await repository.activateBranch('chat_a', 'msg_d')).toBe(true);
    expect((await repository.listMessages('chat_a', page)).map((row) => row.id)).toEqual(['msg_b', 'msg_a', 'msg_d']);
    expect(await repository.activateBranch('chat_a', 'msg_missing')).toBe(false);

    expect(await repository.deleteForUser('chat_a', 'alice')).toBe(true);
    expect(await repository.listMessages('chat_a', page)).toEqual([]);
  });

  it('deletes a message only for its owner and only within its chat', async () => {
    await chat('chat_a', 'alice');
    await chat('chat_b', 'alice');
    await repository.addMessages('chat_a', [message('msg_a', 'alice', 'hello')]);
    expect(await repository.deleteMessageForUser('msg_a', 'chat_a', 'bob')).toBe(false);
    expect(await repository.deleteMessageForUser('msg_a', 'chat_b', 'alice')).toBe(false);
    expect(await repository.deleteMessageForUser('msg_a', 'chat_a', 'alice')).toBe(true);
    expect(await repository.deleteMessageForUser('msg_a', 'chat_a', 'alice')).toBe(false);
  });

  describe('search', () => {
    beforeEach(async () => {
      await chat('chat_a', 'alice', { title: 'Trip' });
      await chat('chat_b', 'alice', { title: 'Work' });
      await chat('chat_bob', 'bob', { title: 'Bob' });
      await repository.addMessages('chat_a', [
        message('msg_1', 'alice', 'The train to Lisbon leaves at nine', new Date('2025-01-01T00:00:00Z')),
        message('msg_2', 'alice', 'Lisbon, Lisbon, Lisbon: the train is late', new Date('2025-01-02T00:00:00Z')),
      ]);
      await repository.addMessages('chat_b', [
        message('msg_3', 'alice', 'Quarterly report on the train budget', new Date('2025-01-03T00:00:00Z')),
      ]);
      await repository.addMessages('chat_bob', [message('msg_bob', 'bob', 'Lisbon train tickets')]);
    });

    const ids = async (query: string, options = page) =>
      (await repository.searchMessagesForUser('alice', query, options)).map((row) => row.messageId);

    it('finds only the user’s own messages, best match first, with the chat title', async () => {
      const hits = await repository.searchMessagesForUser('alice', 'lisbon', page);
      expect(hits.map((row) => row.messageId)).toEqual(['msg_2', 'msg_1']);
      expect(hits[0]).toEqual({
        chatId: 'chat_a',
        chatTitle: 'Trip',
        messageId: 'msg_2',
        role: 'user',
        content: 'Lisbon, Lisbon, Lisbon: the train is late',
        createdAt: new Date('2025-01-02T00:00:00Z'),
      });
      expect(await repository.searchMessagesForUser('bob', 'quarterly', page)).toEqual([]);
    });

    it('ranks equal matches newest first and pages through them', async () => {
      expect(await ids('train')).toEqual(['msg_3', 'msg_2', 'msg_1']);
      expect(await ids('train', { limit: 1, offset: 1 })).toEqual(['msg_2']);
    });

    it('takes web-search syntax: phrases, exclusions, OR', async () => {
      expect(await ids('"train budget"')).toEqual(['msg_3']);
      expect(await ids('train -lisbon')).toEqual(['msg_3']);
      expect(await ids('quarterly or nine')).toEqual(['msg_3', 'msg_1']);
      expect(await ids('nothing-like-this')).toEqual([]);
    });
  });

  describe('share links', () => {
    it('finds a chat by a live link until its owner revokes every link', async () => {
      const created = await chat('chat_a', 'alice');
      await chat('chat_b', 'alice');
      await repository.createShare({ token: 'token-one', conversationId: 'chat_a', userId: 'alice' });
      await repository.createShare({ token: 'token-two', conversationId: 'chat_a', userId: 'alice' });
      await repository.createShare({ token: 'token-other', conversationId: 'chat_b', userId: 'alice' });
      expect(await repository.findShared('token-one')).toEqual(created);
      expect(await repository.findShared('token-missing')).toBeUndefined();

      expect(await repository.revokeSharesForUser('chat_a', 'bob')).toBe(0);
      expect(await repository.findShared('token-one')).toEqual(created);
      expect(await repository.revokeSharesForUser('chat_a', 'alice')).toBe(2);
      expect(await repository.revokeSharesForUser('chat_a', 'alice')).toBe(0);
      expect(await repository.findShared('token-one')).toBeUndefined();
      expect(await repository.findShared('token-two')).toBeUndefined();
      expect((await repository.findShared('token-other'))?.id).toBe('chat_b');
    });

    it('forgets the links of a deleted chat', async () => {
      await chat('chat_a', 'alice');
      await repository.createShare({ token: 'token-one', conversationId: 'chat_a', userId: 'alice' });
      await repository.deleteForUser('chat_a', 'alice');
      expect(await repository.findShared('token-one')).toBeUndefined();
    });
  });
});
