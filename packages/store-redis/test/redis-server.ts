/**
 * Throwaway `redis-server` processes for tests: free loopback ports, a temporary directory,
 * readiness by PING, and shutdown of exactly the processes started here, by their handles.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOST = "127.0.0.1";
/** Every child still running, so a crashing test process takes them down with it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Whether `redis-server` and `redis-cli` can be run. */
export function hasRedisBinaries(): boolean {
  return ["redis-server", "redis-cli"].every(
    (binary) => spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0,
  );
}

const handedOut = new Set<number>();

function canListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A loopback port that is free, and whose cluster bus port (port + 10000) is free too. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await canListen(0);
    if (port === undefined || port + 10_000 > 65_535 || handedOut.has(port)) continue;
    if ((await canListen(port + 10_000)) === undefined) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("No free loopback port pair (port, port + 10000) found.");
}

/**
 * Sends one command over a fresh connection and resolves the reply as text (simple strings,
 * errors, integers and bulk strings are enough for PING, CLUSTER INFO and the like).
 */
export function sendCommand(port: number, args: string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: HOST });
    let buffer = "";
    const finish = (error: Error | null, reply?: string): void => {
      socket.destroy();
      if (error === null) resolve(reply ?? "");
      else reject(error);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply from port ${port}`)));
    socket.once("error", (error) => finish(error));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      const reply = parseReply(buffer);
      if (reply !== undefined) finish(null, reply);
    });
    socket.write(
      `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`,
    );
  });
}

function parseReply(buffer: string): string | undefined {
  const lineEnd = buffer.indexOf("\r\n");
  if (lineEnd < 0) return undefined;
  const line = buffer.slice(1, lineEnd);
  if (buffer[0] !== "$") return buffer[0] === "-" ? `ERR:${line}` : line;
  const length = Number(line);
  if (length < 0) return "";
  const body = Buffer.from(buffer.slice(lineEnd + 2), "utf8");
  return body.length >= length + 2 ? body.subarray(0, length).toString("utf8") : undefined;
}

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, for example `["--appendonly", "yes"]`. */
  args?: string[];
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Working directory (data and logs); a new temporary one when omitted. */
  dir?: string;
}

/** One `redis-server` child process on a loopback port. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #args: string[];
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string, args: string[]) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
  }

  /**
   * Starts a server and resolves once it answers PING. Without a given port it picks a free
   * one, and picks again (up to three times) if another process takes it first.
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "sesame-redis-")));
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(
        options.port ?? (await findFreePort()),
        dir,
        options.args ?? [],
      );
      try {
        await server.restart();
        return server;
      } catch (error) {
        if (options.port === undefined && attempt < 3) continue;
        if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  /** The PID of the running process, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process again (same port, same directory) and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error(`redis-server on ${this.port} is running`);
    const args = [
      ...["--port", String(this.port), "--bind", HOST, "--daemonize", "no", "--save", ""],
      ...["--appendonly", "no", "--dir", this.dir, "--logfile", `redis-${this.port}.log`],
      ...this.#args,
    ];
    const child = spawn("redis-server", args, { cwd: this.dir, stdio: "ignore" });
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code, signal) =>
        reject(new Error(`redis-server on ${this.port} exited (${code ?? signal}) while starting`)),
      );
      child.once("error", reject);
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([this.#waitForPing(5_000), exited]);
    } catch (error) {
      await this.kill("SIGKILL");
      const log = await readFile(join(this.dir, `redis-${this.port}.log`), "utf8").catch(() => "");
      throw new Error(`${(error as Error).message}\n${log.slice(-2_000)}`);
    }
  }

  /** Stops the process with `signal` and waits until it has exited. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }

  /** Sends `signal` (for example SIGSTOP, then SIGCONT) to the running process. */
  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** Stops the process and removes its directory. */
  async stop(): Promise<void> {
    this.signal("SIGCONT");
    await this.kill("SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
  }

  async #waitForPing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await sendCommand(this.port, ["PING"], 250).catch(() => "");
      if (reply === "PONG") return;
      if (this.#child === undefined || Date.now() > deadline) {
        throw new Error(`redis-server on ${this.port} did not answer PING within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
