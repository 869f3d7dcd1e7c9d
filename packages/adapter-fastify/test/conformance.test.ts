import { describeAdapterConformance } from "@sesame/core/testing";
import { fastifyHarness } from "./harness.js";

describeAdapterConformance("Fastify 5", fastifyHarness);
