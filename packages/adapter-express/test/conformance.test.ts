import { describeAdapterConformance } from "@sesame/core/testing";
import express5 from "express";
import express4 from "express4";
import { expressHarness } from "./harness.js";

describeAdapterConformance("Express 5", expressHarness(express5));
describeAdapterConformance("Express 4", expressHarness(express4));
