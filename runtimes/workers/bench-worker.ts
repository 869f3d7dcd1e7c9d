/** `GET /`: what the Web Crypto platform costs inside workerd (see shared/webcrypto-cost.ts). */
import { platform } from "../../packages/core/src/platform/web.ts";
import { measureCryptoCost } from "../shared/webcrypto-cost.ts";

export default {
  async fetch(): Promise<Response> {
    return Response.json(await measureCryptoCost(platform));
  },
};
