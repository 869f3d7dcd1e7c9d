import { describeHonoConformance } from "../shared/hono-conformance.ts";

describeHonoConformance("Hono on Deno.serve", (fetch) => {
  const { promise, resolve } = Promise.withResolvers<{ port: number }>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: resolve }, fetch);
  return promise.then(({ port }) => ({
    url: `http://127.0.0.1:${port}`,
    close: () => server.shutdown(),
  }));
});
