import { SessionConfigError } from "@sesame/core";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { describe, expect, it, vi } from "vitest";
import { LuaScript, type RedisCommands, toRedisCommands } from "../src/clients.js";
import { REDIS_STORE_DEFAULTS, RedisStore } from "../src/index.js";

function fakeCommands(overrides: Partial<RedisCommands> = {}): RedisCommands {
  return {
    evalScriptBySha: vi.fn(async () => "by-sha"),
    evalScript: vi.fn(async () => "by-text"),
    hashGet: vi.fn(async () => null),
    ...overrides,
  };
}

describe("toRedisCommands", () => {
  it("recognises both clients, single node and cluster, without connecting", () => {
    const ioredis = new Redis({ lazyConnect: true });
    const ioCluster = new Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true });
    const clients = [
      createClient(),
      createCluster({ rootNodes: [{ url: "redis://127.0.0.1:1" }] }),
      ioredis,
      ioCluster,
    ];
    for (const client of clients) {
      expect(Object.keys(toRedisCommands(client)).sort()).toEqual([
        "evalScript",
        "evalScriptBySha",
        "hashGet",
        "scanKeys",
      ]);
    }
    ioredis.disconnect();
    ioCluster.disconnect();
  });

  it("maps node-redis calls to its options-object signatures", async () => {
    const client = {
      evalSha: vi.fn(async () => 1),
      eval: vi.fn(async () => 2),
      hGet: vi.fn(async () => "value"),
    };
    const commands = toRedisCommands(client);
    await commands.evalScriptBySha("abc", ["k"], ["a", "b"]);
    await commands.evalScript("return 1", ["k"], ["a"]);
    expect(await commands.hashGet("k", "r")).toBe("value");
    expect(client.evalSha).toHaveBeenCalledWith("abc", { keys: ["k"], arguments: ["a", "b"] });
    expect(client.eval).toHaveBeenCalledWith("return 1", { keys: ["k"], arguments: ["a"] });
    expect(client.hGet).toHaveBeenCalledWith("k", "r");
  });

  it("maps ioredis calls to its numkeys signatures", async () => {
    const client = {
      evalsha: vi.fn(async () => 1),
      eval: vi.fn(async () => 2),
      hget: vi.fn(async () => null),
    };
    const commands = toRedisCommands(client);
    await commands.evalScriptBySha("abc", ["k1", "k2"], ["a"]);
    await commands.evalScript("return 1", [], []);
    expect(await commands.hashGet("k", "r")).toBeNull();
    expect(client.evalsha).toHaveBeenCalledWith("abc", 2, "k1", "k2", "a");
    expect(client.eval).toHaveBeenCalledWith("return 1", 0);
  });

  it("passes its own interface through and refuses anything else", () => {
    const commands = fakeCommands();
    expect(toRedisCommands(commands)).toBe(commands);
    expect(() => new RedisStore({} as RedisCommands)).toThrow(SessionConfigError);
    expect(() => new RedisStore(null as unknown as RedisCommands)).toThrow(/node-redis/);
  });
});

describe("LuaScript", () => {
  it("runs by SHA-1 and loads the source only when the node answers NOSCRIPT", async () => {
    const script = new LuaScript("return 1");
    expect(script.sha1).toBe("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    const commands = fakeCommands({
      evalScriptBySha: vi.fn(async () => {
        throw new Error("NOSCRIPT No matching script. Please use EVAL.");
      }),
    });
    expect(await script.run(commands, ["k"], ["a"])).toBe("by-text");
    expect(commands.evalScript).toHaveBeenCalledWith("return 1", ["k"], ["a"]);
    expect(await script.run(fakeCommands(), [], [])).toBe("by-sha");
  });

  it("passes every other error on", async () => {
    const failure = new Error("READONLY You can't write against a read only replica.");
    const commands = fakeCommands({ evalScriptBySha: vi.fn(async () => Promise.reject(failure)) });
    await expect(new LuaScript("return 1").run(commands, [], [])).rejects.toBe(failure);
    expect(commands.evalScript).not.toHaveBeenCalled();
  });
});

describe("RedisStore options", () => {
  it("defaults the prefix and lays keys out with one hash tag each", () => {
    const store = new RedisStore(fakeCommands());
    expect(REDIS_STORE_DEFAULTS.prefix).toBe("sesame:");
    expect(store.sessionKey("ab12")).toBe("sesame:s:{ab12}");
    expect(store.userIndexKey("user-7")).toBe("sesame:u:{user-7}");
    expect(new RedisStore(fakeCommands(), { prefix: "" }).sessionKey("x")).toBe("s:{x}");
  });

  it("counts every session by SCAN, with the prefix's glob characters escaped", async () => {
    const scanKeys = vi.fn(async function* (): AsyncGenerator<string[]> {
      yield ["a*[b]?:s:{1}", "a*[b]?:s:{2}"];
      yield ["a*[b]?:s:{3}"];
    });
    const evalScriptBySha = vi.fn(async (_sha: string, keys: string[]) =>
      keys[0] === "a*[b]?:s:{2}" ? 0 : 1,
    );
    const store = new RedisStore(fakeCommands({ scanKeys, evalScriptBySha }), {
      prefix: "a*[b]?:",
    });
    expect(await store.countSessions()).toBe(2);
    expect(scanKeys).toHaveBeenCalledWith("a\\*\\[b\\]\\?:s:{*}");
  });

  it("refuses to count every session through RedisCommands without scanKeys", async () => {
    await expect(new RedisStore(fakeCommands()).countSessions()).rejects.toThrow(
      SessionConfigError,
    );
  });

  it("refuses an expiredRetentionMs that is negative", () => {
    expect(() => new RedisStore(fakeCommands(), { expiredRetentionMs: -1 })).toThrow(
      SessionConfigError,
    );
  });

  it.each(["app{1}:", "app}", "{"])("refuses the prefix %j at construction", (prefix) => {
    expect(() => new RedisStore(fakeCommands(), { prefix })).toThrow(SessionConfigError);
  });
});
