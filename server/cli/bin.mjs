#!/usr/bin/env node
// The `memo` executable: loads the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
process.env.MEMO_CLI_MAIN = "1";
await import("./main.ts");
