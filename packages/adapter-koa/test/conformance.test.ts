import { describeAdapterConformance } from "@sesame/core/testing";
import Koa3 from "koa";
import Koa2 from "koa2";
import { koaHarness } from "./harness.js";

describeAdapterConformance("Koa 3", koaHarness(Koa3));
describeAdapterConformance("Koa 2", koaHarness(Koa2));
