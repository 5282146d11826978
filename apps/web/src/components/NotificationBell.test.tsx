import type { Notification, NotificationList } from '@switchyard/api-schemas';
import { describe, expect, it } from 'vitest';
import { withLiveNotification } from './NotificationBell';

const item = (id: string, sequence: number): Notification => ({
  id,
  kind: 'system.test',
  title: id,
  body: 'body',
  link: null,
  data: null,
  read: false,
  readAt: null,
  createdAt: new Date(0).toISOString(),
  sequence,
});

describe('the notification bell’s list', () => {
  it('puts a live notification first, once, keeps the page size and takes the stream’s count', () => {
    const list: NotificationList = { notifications: [item('b', 2), item('a', 1)], unread: 2, limit: 2, offset: 0 };
    const added = withLiveNotification(list, item('c', 3), 3);
    expect(added?.notifications.map((entry) => entry.id)).toEqual(['c', 'b']);
    expect(added?.unread).toBe(3);
    // A reconnect may deliver it again.
    expect(withLiveNotification(added, item('c', 3), 3)?.notifications.map((entry) => entry.id)).toEqual(['c', 'b']);
    expect(withLiveNotification(undefined, item('c', 3), 1)).toBeUndefined();
  });
});
