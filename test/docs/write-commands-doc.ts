/** Writes docs/COMMANDS.md (see commands-doc.ts). Run: `npx tsx test/docs/write-commands-doc.ts`. */
import { writeFileSync } from "node:fs";
import { renderCommandsDoc } from "./commands-doc.js";

writeFileSync(new URL("../../docs/COMMANDS.md", import.meta.url), renderCommandsDoc());
