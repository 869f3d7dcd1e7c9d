import { describeHonoConformance } from "../shared/hono-conformance.ts";

describeHonoConformance("Hono on Bun.serve", async (fetch) => {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
});
