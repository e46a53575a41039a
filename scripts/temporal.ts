/**
 * `npm run temporal -- <command>`: the project's Temporal CLI, provisioned the same way as everywhere else.
 *   path            print the CLI's path (building it on first use)
 *   server          run a dev server in the foreground (persistent, with the Web UI and our search attributes)
 *   <anything else> run the CLI with those arguments, e.g. `npm run temporal -- workflow list`
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findTemporalCli, startDevServer } from './temporal-cli';

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'path') {
    console.log(findTemporalCli().path);
    return 0;
  }
  if (command === 'server') {
    const server = await startDevServer({
      port: 7233,
      uiPort: 8233,
      dbFilename: path.resolve('.data', 'temporal.db'),
      logLevel: 'warn',
    });
    console.log(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}. Ctrl-C to stop.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.stop();
    return 0;
  }
  const result = spawnSync(findTemporalCli().path, args.length > 0 ? [command ?? '', ...rest] : ['--help'], {
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
