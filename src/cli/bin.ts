/**
 * The `lintas` executable (package.json "bin"); built to dist/cli.js with a shebang by tsup.
 * The exit code is set, not forced with process.exit(), so pending output is flushed first.
 */
import { main } from './main.js';
import { processIo } from './terminal.js';

process.exitCode = await main(process.argv.slice(2), processIo());
