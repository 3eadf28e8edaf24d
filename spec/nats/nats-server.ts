import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort, isListening } from '../support/services.js';

export const NATS_PORT = 4222;
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/**
 * A private nats-server with JetStream for tests that stop and restart it (the shared one on 4222
 * must never be restarted). Its store survives restarts, as a real deployment's would.
 */
export class PrivateNatsServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'rxbp-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    await this.stop();
    const child = spawn(
      NATS_SERVER,
      ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir],
      {
        stdio: 'ignore',
      },
    );
    this.child = child;
    const started = Date.now();
    while (!isListening(this.port)) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (Date.now() - started > 10_000)
        throw new Error(`nats-server did not listen on ${this.port} in 10 s`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * A TCP forwarder to `targetPort` that can refuse connections for a while: it holds one client
 * away from a restarted server, so that the test controls the gap exactly.
 */
export class GatedProxy {
  private refusing = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(
    targetPort: number,
    readonly port: number,
  ) {
    this.server = createServer((socket) => {
      if (this.refusing) {
        socket.destroy();
        return;
      }
      const upstream = netConnect(targetPort, '127.0.0.1');
      for (const s of [socket, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
  }

  static async start(targetPort: number): Promise<GatedProxy> {
    const proxy = new GatedProxy(targetPort, await freePort());
    await new Promise<void>((done) => proxy.server.listen(proxy.port, '127.0.0.1', done));
    return proxy;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Refuses new connections (open ones carry on until the server drops them). */
  refuse(): void {
    this.refusing = true;
  }

  accept(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((done) => this.server.close(done));
  }
}
