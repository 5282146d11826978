import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * The listen backlog the server asks for (Node's default, made explicit): the kernel queues at most this
 * many connections that are established but not accepted yet, so draining the queue never needs more.
 */
export const listenBacklog = 511;

/** One turn of the event loop (a setImmediate): resolves in the check phase after the current one. */
const loopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Two turns of the event loop: at least one whole poll phase lies between the call and the answer.
 * Counted in turns, not milliseconds: a loop that PGlite keeps busy for seconds (embedded mode) gets the
 * same pass as a free one.
 */
async function pollPass(): Promise<void> {
  await loopTurn();
  await loopTurn();
}

/**
 * Closes the listening socket so that no connection the kernel already holds is reset.
 *
 * libuv accepts one connection per poll phase (since 1.45: libuv/libuv#3696), so a backlog that grew while
 * the event loop was busy (PGlite in embedded mode, a loaded machine) takes as many loop turns to accept as
 * it holds connections, and closing the listener resets every connection still in it: the requests their
 * clients sent before the stop are lost. So:
 *
 * 1. poll passes until one accepts nothing (the backlog is empty), or until as many connections were
 *    accepted as the queue held when the stop began: clients that keep reconnecting (each refused request
 *    answered at once, each connection followed by the next) would otherwise keep the queue from ever
 *    emptying, and in embedded mode each refusal writes a usage row on the busy loop;
 * 2. only the listener closes (the port refuses from here). Not `http.Server#close`: that also destroys
 *    every "idle" connection, and a connection accepted in the last pass is idle until its request is read,
 *    which libuv does only in the next poll phase; destroying a socket with unread bytes sends a reset;
 * 3. another poll pass reads the requests on those connections, so each is in flight (and answered, with
 *    SY_ERR_SHUTTING_DOWN) before anything closes idle connections.
 *
 * A connection that reaches the port between steps 1 and 2 arrived after the stop began and is reset by the
 * kernel, which its client sees like a refused connection.
 */
export async function closeListenerKeepingBacklog(server: HttpServer): Promise<{ accepted: number; queued: number }> {
  let accepted = 0;
  const count = () => {
    accepted += 1;
  };
  const address = server.address();
  const queued =
    (typeof address === 'object' && address !== null ? acceptQueueLength(address.port) : null) ?? listenBacklog;
  server.on('connection', count);
  try {
    for (;;) {
      const before = accepted;
      await pollPass();
      if (accepted === before || accepted >= queued) break;
    }
  } finally {
    server.off('connection', count);
  }
  if (server.listening) NetServer.prototype.close.call(server);
  await pollPass();
  return { accepted, queued };
}

/**
 * Connections established but not accepted yet on a listening TCP port, as Linux reports them (the
 * `rx_queue` of a socket in state LISTEN in /proc/net/tcp and tcp6 is its accept queue); null elsewhere.
 */
export function acceptQueueLength(port: number): number | null {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let found: number | null = null;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (state !== '0A' || !local?.endsWith(`:${portHex}`)) continue;
      found = (found ?? 0) + Number.parseInt(queues?.split(':')[1] ?? '0', 16);
    }
  }
  return found;
}
