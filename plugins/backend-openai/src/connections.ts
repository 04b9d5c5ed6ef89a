import { Client } from './undici.js';

/**
 * One connection to the server: an undici `Client` (pipelining 1) that carries one request at a time,
 * so each request knows whether it goes out on a socket that has already answered (a reused
 * keep-alive connection) or on a new one.
 */
export class Connection {
  /** Answers completed on the current socket; reset when a new socket connects. */
  served = 0;
  /** When the last answer on this socket ended (clock ms), and whether it was streamed. */
  lastEnd = -Infinity;
  lastStream = false;

  constructor(readonly client: Client) {}
}

export interface ConnectionPoolOptions {
  readonly origin: string;
  /** Most connections open at once; requests beyond wait for one, first come first served. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** How long an idle socket is kept when the server does not say (its `Keep-Alive: timeout=` wins). */
  readonly keepAliveTimeoutMs: number;
  readonly now: () => number;
  /** The server closed a socket that had answered, `afterMs` after its last answer ended. */
  readonly onServerClose: (connection: Connection, afterMs: number) => void;
}

/** Errors that mean the server (or the network) closed the socket, as opposed to our own aborts and resets. */
const CLOSED_BY_PEER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export function closedByPeer(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CLOSED_BY_PEER.has(code);
}

/**
 * Connections to one server, handed out one request each: O(1) to take and give back, at most
 * `connections` open, waiting requests served in order. undici's Pool hides which socket a request
 * gets; this one does not, because a request that fails on a reused socket before any byte of its
 * answer is to be sent again.
 */
export class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private waiting: ((connection: Connection) => void)[] = [];
  private waitHead = 0;
  private closed = false;

  constructor(private readonly options: ConnectionPoolOptions) {}

  /** Calls `use` with a connection now, or when one is given back. Returns a cancel function for a waiting call. */
  acquire(use: (connection: Connection) => void): (() => boolean) | undefined {
    const free = this.idle.pop();
    if (free) return void use(free);
    if (this.all.length < this.options.connections) return void use(this.open());
    const index = this.waiting.push(use) - 1;
    return () => {
      if (index < this.waitHead || this.waiting[index] !== use) return false;
      this.waiting[index] = skip;
      return true;
    };
  }

  /** Gives a connection back once its request has ended. */
  release(connection: Connection): void {
    if (this.closed) return;
    while (this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead]!;
      // A served wait leaves its slot at once, so the closure (and its request) is not kept alive.
      this.waiting[this.waitHead++] = skip;
      if (this.waitHead === this.waiting.length) {
        this.waiting = [];
        this.waitHead = 0;
      }
      if (next !== skip) {
        next(connection);
        return;
      }
    }
    this.idle.push(connection);
  }

  /** Ends every connection at once (requests still on them fail as aborted by undici). */
  async destroy(): Promise<void> {
    this.closed = true;
    this.waiting = [];
    this.waitHead = 0;
    await Promise.all(this.all.map((c) => c.client.destroy()));
  }

  private open(): Connection {
    const client = new Client(this.options.origin, {
      pipelining: 1,
      connectTimeout: this.options.connectTimeoutMs,
      // The first-byte deadline is kept by the caller (undici checks its own on a ~1 s tick).
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: this.options.keepAliveTimeoutMs,
    });
    const connection = new Connection(client);
    client.on('connect', () => {
      connection.served = 0;
    });
    client.on('disconnect', (_origin: unknown, _targets: unknown, error: Error) => {
      if (connection.served > 0 && closedByPeer(error))
        this.options.onServerClose(connection, this.options.now() - connection.lastEnd);
    });
    this.all.push(connection);
    return connection;
  }
}

const skip = (): void => {};
